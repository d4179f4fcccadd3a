import { type DynamicModule, Module } from '@nestjs/common';
import { Topics, topicSpecsFor } from '@switchboard/events';
import { KafkaModule, MongoModule, RedisModule, ServiceKitModule } from '@switchboard/service-kit';
import { JwtAuthenticator } from '@switchboard/grpc-kit';
import { AGENT_API, AgentGrpcController, JWT_AUTHENTICATOR } from './agents/agent.grpc-controller';
import type { RouterConfig } from './config/router.config';
import { ROUTER_CONFIG, RouterRuntime } from './routing/router-runtime';

@Module({})
export class AppModule {
  static forRoot(config: RouterConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({ serviceName: 'router', logLevel: config.LOG_LEVEL }),
        KafkaModule.forRoot({
          brokers: config.KAFKA_BROKERS,
          clientId: 'router',
          topics: topicSpecsFor(
            [Topics.conversationEvents, Topics.routingDecisions].map(
              (topic) => config.KAFKA_TOPIC_PREFIX + topic,
            ),
            {
              partitions: config.KAFKA_TOPIC_PARTITIONS,
              replicationFactor: config.KAFKA_REPLICATION_FACTOR,
            },
          ),
        }),
        MongoModule.forRoot({
          uri: config.MONGODB_URI,
          database: config.MONGODB_DATABASE,
          appName: 'router',
        }),
        RedisModule.forRoot({
          url: config.REDIS_URL,
          keyPrefix: config.REDIS_KEY_PREFIX,
          connectionName: 'router',
        }),
      ],
      controllers: [AgentGrpcController],
      providers: [
        { provide: ROUTER_CONFIG, useValue: config },
        RouterRuntime,
        { provide: AGENT_API, useExisting: RouterRuntime },
        {
          provide: JWT_AUTHENTICATOR,
          useValue: new JwtAuthenticator({ secret: config.AUTH_JWT_SECRET }),
        },
      ],
    };
  }
}
