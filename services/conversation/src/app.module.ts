import { type DynamicModule, Module } from '@nestjs/common';
import { Topics, topicSpecsFor } from '@switchboard/events';
import { KafkaModule, MongoModule, ServiceKitModule } from '@switchboard/service-kit';
import type { ConversationConfig } from './config/conversation.config';
import { ConversationModule, type ConversationModuleOptions } from './conversation.module';
import { DEFAULT_CONVERSATION_TOPICS } from './conversations/conversation-topics';

export interface AppModuleOverrides {
  /** Tests use their own topic names and shorter Kafka timeouts. */
  conversation?: Partial<ConversationModuleOptions>;
}

@Module({})
export class AppModule {
  static forRoot(config: ConversationConfig, overrides: AppModuleOverrides = {}): DynamicModule {
    const prefix = config.KAFKA_TOPIC_PREFIX;
    const topics = overrides.conversation?.topics ?? {
      inboundMessages: prefix + DEFAULT_CONVERSATION_TOPICS.inboundMessages,
      conversationEvents: prefix + DEFAULT_CONVERSATION_TOPICS.conversationEvents,
      outboundMessages: prefix + DEFAULT_CONVERSATION_TOPICS.outboundMessages,
      routingDecisions: prefix + Topics.routingDecisions,
      conversationActivity: prefix + Topics.conversationActivity,
      deliveryStatus: prefix + Topics.deliveryStatus,
    };
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({ serviceName: 'conversation', logLevel: config.LOG_LEVEL }),
        KafkaModule.forRoot({
          brokers: config.KAFKA_BROKERS,
          clientId: 'conversation',
          topics: topicSpecsFor(
            [
              topics.inboundMessages,
              topics.conversationEvents,
              prefix + Topics.routingDecisions,
              topics.outboundMessages,
              ...(topics.deliveryStatus ? [topics.deliveryStatus] : []),
              ...(topics.conversationActivity ? [topics.conversationActivity] : []),
            ],
            {
              partitions: config.KAFKA_TOPIC_PARTITIONS,
              replicationFactor: config.KAFKA_REPLICATION_FACTOR,
            },
          ),
        }),
        MongoModule.forRoot({
          uri: config.MONGODB_URI,
          database: config.MONGODB_DATABASE,
          appName: 'conversation',
        }),
        ConversationModule.forRoot({
          topics,
          consumerGroupId: `${prefix}conversation`,
          jwtSecret: config.AUTH_JWT_SECRET,
          snoozePollIntervalMs: config.SNOOZE_POLL_INTERVAL_MS,
          watchPollIntervalMs: config.WATCH_POLL_INTERVAL_MS,
          sla: config.sla,
          ...overrides.conversation,
        }),
      ],
    };
  }
}
