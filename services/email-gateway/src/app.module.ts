import { type DynamicModule, Module } from '@nestjs/common';
import { Topics, topicSpecsFor } from '@switchboard/events';
import { KafkaModule, RedisModule, ServiceKitModule } from '@switchboard/service-kit';
import type { EmailGatewayConfig } from './config/email-gateway.config';
import { EmailGatewayModule } from './email-gateway.module';
import type { TenantDirectory } from './tenants/tenant-directory';

@Module({})
export class AppModule {
  static forRoot(config: EmailGatewayConfig, tenants: TenantDirectory): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({ serviceName: 'email-gateway', logLevel: config.LOG_LEVEL }),
        KafkaModule.forRoot({
          brokers: config.KAFKA_BROKERS,
          clientId: 'email-gateway',
          topics: topicSpecsFor(
            [Topics.inboundMessages, Topics.outboundMessages, Topics.deliveryStatus].map(
              (topic) => config.KAFKA_TOPIC_PREFIX + topic,
            ),
            {
              partitions: config.KAFKA_TOPIC_PARTITIONS,
              replicationFactor: config.KAFKA_REPLICATION_FACTOR,
            },
          ),
        }),
        // Thread lookups (Message-ID → thread) and, later, the outbound send markers.
        RedisModule.forRoot({
          url: config.REDIS_URL,
          connectionName: 'email-gateway',
          keyPrefix: config.REDIS_KEY_PREFIX,
        }),
        EmailGatewayModule.forRoot(config, tenants),
      ],
    };
  }
}
