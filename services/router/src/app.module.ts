import { type DynamicModule, Module } from '@nestjs/common';
import { Topics, topicSpecsFor } from '@switchboard/events';
import {
  KafkaModule,
  METRICS_REGISTRY,
  MONGO_CONNECTION,
  MongoModule,
  REDIS_CLIENT,
  RedisModule,
  ServiceKitModule,
} from '@switchboard/service-kit';
import { JwtAuthenticator } from '@switchboard/grpc-kit';
import type { MetricsRegistry } from '@switchboard/metrics';
import type { RedisClient } from '@switchboard/redis';
import type { Connection } from 'mongoose';
import { businessHoursOfQueues } from './admin/business-hours.opening-hours';
import { HotStateReader } from './admin/hot-state.reader';
import { ROUTING_ADMIN, RoutingAdmin } from './admin/routing-admin.wiring';
import { AGENT_API, AgentGrpcController, JWT_AUTHENTICATOR } from './agents/agent.grpc-controller';
import type { RouterConfig } from './config/router.config';
import { RoutingConfigRepository } from './configuration/routing-config.repository';
import { DecisionLogRetention } from './decision-log/decision-log.retention';
import {
  DECISION_LOG,
  DECISION_LOG_LISTENER,
  DecisionLogConsumer,
} from './decision-log/decision-log.consumer';
import { DecisionLogRepository } from './decision-log/decision-log.repository';
import { RoutingAdminGrpcController } from './grpc/routing-admin.grpc-controller';
import { ROUTER_METRICS, RouterMetrics } from './metrics/router.metrics';
import { ROUTER_CONFIG, RouterRuntime } from './routing/router-runtime';

const clock = { now: () => Date.now() };

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
      controllers: [AgentGrpcController, RoutingAdminGrpcController],
      providers: [
        { provide: ROUTER_CONFIG, useValue: config },
        RouterRuntime,
        { provide: AGENT_API, useExisting: RouterRuntime },
        {
          provide: JWT_AUTHENTICATOR,
          useValue: new JwtAuthenticator({ secret: config.AUTH_JWT_SECRET }),
        },
        {
          provide: DECISION_LOG,
          inject: [MONGO_CONNECTION],
          useFactory: (mongo: Connection) => new DecisionLogRepository(mongo),
        },
        {
          provide: ROUTER_METRICS,
          inject: [METRICS_REGISTRY, MONGO_CONNECTION, REDIS_CLIENT],
          useFactory: (registry: MetricsRegistry, mongo: Connection, redis: RedisClient) =>
            new RouterMetrics(
              registry,
              new RoutingConfigRepository(mongo),
              new HotStateReader(redis),
            ),
        },
        { provide: DECISION_LOG_LISTENER, useExisting: ROUTER_METRICS },
        DecisionLogConsumer,
        DecisionLogRetention,
        {
          provide: ROUTING_ADMIN,
          inject: [MONGO_CONNECTION, REDIS_CLIENT, DECISION_LOG],
          useFactory: (mongo: Connection, redis: RedisClient, log: DecisionLogRepository) =>
            new RoutingAdmin(mongo, redis, log, businessHoursOfQueues, clock),
        },
      ],
    };
  }
}
