import { randomUUID } from 'node:crypto';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { conversationEventSchema, decodeEnvelope, Topics } from '@switchboard/events';
import type { KafkaClient, MessageConsumer, MessageProducer } from '@switchboard/kafka';
import { UnavailableError } from '@switchboard/grpc-kit';
import {
  closeRedisConnection,
  openRedisConnection,
  type RedisClient,
  waitForRedisReady,
} from '@switchboard/redis';
import {
  KAFKA_CLIENT,
  METRICS_REGISTRY,
  MONGO_CONNECTION,
  REDIS_CLIENT,
  ROOT_LOGGER,
} from '@switchboard/service-kit';
import type { Connection } from 'mongoose';
import type { Logger } from 'pino';
import type { MetricsRegistry } from '@switchboard/metrics';
import { AgentPresenceUseCases } from '../agents/agent-presence.usecases';
import type { AgentApi } from '../agents/agent.grpc-controller';
import { FanOutDecisionPublisher, OfferNotifier } from '../agents/offer-notifier';
import { AssignmentStore } from '../assignment/assignment.store';
import { DispatchQueueUseCase } from '../assignment/dispatch-queue.usecase';
import { ApplyRoutingConfigurationUseCase } from '../configuration/apply-routing-configuration.usecase';
import { ProjectRoutingStateUseCase } from '../configuration/project-routing-state.usecase';
import { RoutingConfigRepository } from '../configuration/routing-config.repository';
import type { RouterConfig } from '../config/router.config';
import { DecisionFactory } from './decision-factory';
import { KafkaDecisionPublisher } from './kafka-decision.publisher';
import { MaintainRoutingUseCase } from './maintain-routing.usecase';
import {
  NoRoutingConfigurationError,
  RouteConversationEventUseCase,
} from './route-conversation-event.usecase';
import { CachedTenantConfigSource } from './tenant-config.cache';
import { ROUTER_METRICS, type RouterMetrics } from '../metrics/router.metrics';
import { RuleAndModelClassifier } from '../classification/classify';
import { PrometheusOverMaxWaitReporter } from '../queues/over-max-wait.metrics';

export const ROUTER_CONFIG = Symbol('ROUTER_CONFIG');
const START_RETRY_MS = 2_000;
const CONFIG_CACHE_TTL_MS = 1_000;
const clock = { now: () => Date.now() };

/**
 * Starts the router's work once its dependencies answer: durable configuration (and the bootstrap
 * file) into MongoDB, its projection into Redis, the consumer of conversation events, and the
 * maintenance tick. Retries start-up until Kafka, MongoDB and Redis are reachable; readiness
 * reports them meanwhile.
 */
@Injectable()
export class RouterRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown, AgentApi {
  private readonly logger: Logger;
  private readonly subscriber: RedisClient;
  private readonly offerNotifier: OfferNotifier;
  private agentUseCases: AgentPresenceUseCases | undefined;
  private readonly repository: RoutingConfigRepository;
  private readonly store: AssignmentStore;
  private readonly producer: MessageProducer;
  private consumer: MessageConsumer | undefined;
  private tick: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private stopping = false;
  private ticking = false;

  constructor(
    @Inject(ROUTER_CONFIG) private readonly config: RouterConfig,
    @Inject(KAFKA_CLIENT) private readonly kafka: KafkaClient,
    @Inject(MONGO_CONNECTION) mongo: Connection,
    @Inject(REDIS_CLIENT) redis: RedisClient,
    @Inject(ROOT_LOGGER) rootLogger: Logger,
    @Inject(METRICS_REGISTRY) private readonly metrics: MetricsRegistry,
    @Inject(ROUTER_METRICS) private readonly routerMetrics: RouterMetrics,
  ) {
    this.logger = rootLogger.child({ component: 'routing' });
    this.repository = new RoutingConfigRepository(mongo);
    this.store = new AssignmentStore(redis);
    this.producer = kafka.createProducer();
    // Pub/sub needs a connection of its own: a subscribed connection can run no other command.
    this.subscriber = openRedisConnection({
      url: config.REDIS_URL,
      connectionName: 'router-offers',
    });
    this.offerNotifier = new OfferNotifier(redis, this.subscriber, config.REDIS_KEY_PREFIX);
  }

  useCases(): AgentPresenceUseCases {
    if (!this.agentUseCases)
      throw new UnavailableError('the router is still starting; retry shortly');
    return this.agentUseCases;
  }

  notifier(): OfferNotifier {
    return this.offerNotifier;
  }

  onApplicationBootstrap(): void {
    void this.start();
  }

  private async start(): Promise<void> {
    if (this.stopping) return;
    try {
      await this.repository.ensureIndexes();
      const project = new ProjectRoutingStateUseCase(this.repository, this.store);
      if (this.config.routingBootstrap) {
        const applied = await new ApplyRoutingConfigurationUseCase(
          this.repository,
          project,
          clock,
        ).execute(this.config.routingBootstrap);
        this.logger.info({ applied }, 'routing configuration applied from ROUTER_CONFIG_FILE');
      }
      for (const tenantId of await this.repository.listTenants()) await project.execute(tenantId);

      // Every replica re-reads the configuration's head version each second (one indexed query;
      // an unchanged version is not parsed again), so a change made on any replica applies here.
      const configs = new CachedTenantConfigSource(this.repository, clock, CONFIG_CACHE_TTL_MS);
      const dispatch = new DispatchQueueUseCase(this.store, clock);
      const decisions = new DecisionFactory({ next: () => randomUUID() });
      await waitForRedisReady(this.subscriber);
      await this.offerNotifier.start();
      const publisher = new FanOutDecisionPublisher([
        this.routerMetrics,
        new KafkaDecisionPublisher(
          this.producer,
          this.config.KAFKA_TOPIC_PREFIX + Topics.routingDecisions,
        ),
        this.offerNotifier,
      ]);
      const route = new RouteConversationEventUseCase(
        this.store,
        dispatch,
        configs,
        decisions,
        publisher,
        clock,
        new RuleAndModelClassifier(),
      );
      const maintain = new MaintainRoutingUseCase(
        this.store,
        dispatch,
        configs,
        decisions,
        publisher,
        clock,
        {
          heartbeatTtlMs: this.config.AGENT_HEARTBEAT_TTL_MS,
          requeueAssignedOnOffline: this.config.REQUEUE_ASSIGNED_ON_OFFLINE,
          overMaxWait: new PrometheusOverMaxWaitReporter(this.metrics),
        },
      );
      // Business hours and overflow settings reach Redis before the first conversation is routed.
      await maintain.prepare();

      this.agentUseCases = new AgentPresenceUseCases(
        this.store,
        dispatch,
        configs,
        decisions,
        publisher,
        clock,
        this.config.AGENT_HEARTBEAT_TTL_MS,
        this.config.REQUEUE_ASSIGNED_ON_OFFLINE,
      );
      if (this.stopping) return;
      this.consumer = this.kafka.createConsumer({
        groupId: `${this.config.KAFKA_TOPIC_PREFIX}router`,
        topics: [this.config.KAFKA_TOPIC_PREFIX + Topics.conversationEvents],
        fromBeginning: true,
        handler: async (message) => {
          const event = decodeEnvelope(
            'conversation event',
            conversationEventSchema,
            message.value,
          );
          try {
            await this.routerMetrics.timeDecision('conversation_event', () => route.execute(event));
          } catch (error) {
            // A tenant that has not set up routing yet is a configuration state, not a bad message:
            // retrying cannot help and dead-lettering every event of the tenant would bury real
            // failures. It is logged for every event, so it is never silent.
            if (!(error instanceof NoRoutingConfigurationError)) throw error;
            this.logger.warn(
              { tenantId: event.tenantId, conversationId: event.conversationId },
              'conversation event of a tenant without routing configuration; not routed',
            );
          }
        },
      });
      await this.consumer.start();
      this.tick = setInterval(() => void this.runTick(maintain), this.config.ROUTER_TICK_MS);
      this.logger.info({ tickMs: this.config.ROUTER_TICK_MS }, 'routing started');
    } catch (error) {
      this.logger.warn(
        { err: error, retryInMs: START_RETRY_MS },
        'routing could not start yet; retrying',
      );
      await this.consumer?.stop().catch(() => undefined);
      this.consumer = undefined;
      if (!this.stopping) this.retry = setTimeout(() => void this.start(), START_RETRY_MS);
    }
  }

  private async runTick(maintain: MaintainRoutingUseCase): Promise<void> {
    if (this.ticking || this.stopping) return; // a slow tick is never overlapped by the next
    this.ticking = true;
    try {
      await this.routerMetrics.timeDecision('tick', () => maintain.execute());
    } catch (error) {
      this.logger.warn({ err: error }, 'routing maintenance tick failed; next tick retries');
    } finally {
      this.ticking = false;
    }
  }

  // Consumers drain before connections close (onApplicationShutdown in service-kit).
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.retry);
    clearInterval(this.tick);
    await this.consumer?.stop();
    await this.producer.disconnect();
    await closeRedisConnection(this.subscriber);
  }
}
