import { type DynamicModule, Module } from '@nestjs/common';
import { Topics, topicSpecsFor } from '@switchboard/events';
import { KafkaModule, RedisModule, ServiceKitModule } from '@switchboard/service-kit';
import type { ChatGatewayConfig } from './config/chat-gateway.config';

@Module({})
export class AppModule {
  static forRoot(config: ChatGatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({ serviceName: 'chat-gateway', logLevel: config.LOG_LEVEL }),
        KafkaModule.forRoot({
          brokers: config.KAFKA_BROKERS,
          clientId: 'chat-gateway',
          topics: topicSpecsFor(
            [Topics.inboundMessages, Topics.outboundMessages, Topics.deliveryStatus],
            {
              partitions: config.KAFKA_TOPIC_PARTITIONS,
              replicationFactor: config.KAFKA_REPLICATION_FACTOR,
            },
          ),
        }),
        RedisModule.forRoot({
          url: config.REDIS_URL,
          keyPrefix: config.REDIS_KEY_PREFIX,
          connectionName: 'chat-gateway',
        }),
      ],
    };
  }
}
