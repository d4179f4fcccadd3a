import { type DynamicModule, Module } from '@nestjs/common';
import { Topics, topicSpecsFor } from '@switchboard/events';
import { KafkaModule, MongoModule, ServiceKitModule } from '@switchboard/service-kit';
import type { ConversationConfig } from './config/conversation.config';

@Module({})
export class AppModule {
  static forRoot(config: ConversationConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({ serviceName: 'conversation', logLevel: config.LOG_LEVEL }),
        KafkaModule.forRoot({
          brokers: config.KAFKA_BROKERS,
          clientId: 'conversation',
          topics: topicSpecsFor(
            [
              Topics.inboundMessages,
              Topics.conversationEvents,
              Topics.routingDecisions,
              Topics.outboundMessages,
              Topics.deliveryStatus,
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
      ],
    };
  }
}
