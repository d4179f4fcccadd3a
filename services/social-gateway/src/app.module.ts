import { type DynamicModule, Module } from '@nestjs/common';
import { Topics, topicSpecsFor } from '@switchboard/events';
import { KafkaModule, ServiceKitModule } from '@switchboard/service-kit';
import type { SocialGatewayConfig } from './config/social-gateway.config';

@Module({})
export class AppModule {
  static forRoot(config: SocialGatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({ serviceName: 'social-gateway', logLevel: config.LOG_LEVEL }),
        KafkaModule.forRoot({
          brokers: config.KAFKA_BROKERS,
          clientId: 'social-gateway',
          topics: topicSpecsFor(
            [Topics.inboundMessages, Topics.outboundMessages, Topics.deliveryStatus],
            {
              partitions: config.KAFKA_TOPIC_PARTITIONS,
              replicationFactor: config.KAFKA_REPLICATION_FACTOR,
            },
          ),
        }),
      ],
    };
  }
}
