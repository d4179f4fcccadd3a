import { type DynamicModule, Module } from '@nestjs/common';
import { Topics, topicSpecsFor } from '@switchboard/events';
import { KafkaModule, ServiceKitModule } from '@switchboard/service-kit';
import type { EmailGatewayConfig } from './config/email-gateway.config';

@Module({})
export class AppModule {
  static forRoot(config: EmailGatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({ serviceName: 'email-gateway', logLevel: config.LOG_LEVEL }),
        KafkaModule.forRoot({
          brokers: config.KAFKA_BROKERS,
          clientId: 'email-gateway',
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
