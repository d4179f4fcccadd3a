import { randomUUID } from 'node:crypto';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { conversationEventSchema, decodeEnvelope, Topics } from '@switchboard/events';
import type { KafkaClient, MessageConsumer, MessageProducer } from '@switchboard/kafka';
import type { RedisClient } from '@switchboard/redis';
import {
  KAFKA_CLIENT,
  MONGO_CONNECTION,
  REDIS_CLIENT,
  ROOT_LOGGER,
} from '@switchboard/service-kit';
import type { Connection } from 'mongoose';
import type { Logger } from 'pino';
import { AssignmentStore } from '../assignment/assignment.store';
import { DispatchQueueUseCase } from '../assignment/dispatch-queue.usecase';
import { ApplyRoutingConfigurationUseCase } from '../configuration/apply-routing-configuration.usecase';
import { ProjectRoutingStateUseCase } from '../configuration/project-routing-state.usecase';
import { RoutingConfigRepository } from '../configuration/routing-config.repository';
import type { RouterConfig } from '../config/router.config';
import { DecisionFactory } from './decision-factory';
import { KafkaDecisionPublisher } from './kafka-decision.publisher';
import { MaintainRoutingUseCase } from './maintain-routing.usecase';
import { RouteConversationEventUseCase } from './route-conversation-event.usecase';
import { CachedTenantConfigSource } from './tenant-config.cache';

export const ROUTER_CONFIG = Symbol('ROUTER_CONFIG');
const START_RETRY_MS = 2_000;
const clock = { now: () => Date.now() };

/**
 * Starts the router's work once its dependencies answer: durable configuration (and the bootstrap
 * file) into MongoDB, its projection into Redis, the consumer of conversation events, and the
 * maintenance tick. Retries start-up until Kafka, MongoDB and Redis are reachable; readiness
 * reports them meanwhile.
 */
@Injectable()
export class RouterRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger: Logger;
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
  ) {
    this.logger = rootLogger.child({ component: 'routing' });
    this.repository = new RoutingConfigRepository(mongo);
    this.store = new AssignmentStore(redis);
    this.producer = kafka.createProducer();
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

      const configs = new CachedTenantConfigSource(this.repository, clock);
      const dispatch = new DispatchQueueUseCase(this.store, clock);
      const decisions = new DecisionFactory({ next: () => randomUUID() });
      const publisher = new KafkaDecisionPublisher(this.producer, Topics.routingDecisions);
      const route = new RouteConversationEventUseCase(
        this.store,
        dispatch,
        configs,
        decisions,
        publisher,
        clock,
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
        },
      );

      if (this.stopping) return;
      this.consumer = this.kafka.createConsumer({
        groupId: 'router',
        topics: [Topics.conversationEvents],
        fromBeginning: true,
        handler: async (message) => {
          const event = decodeEnvelope(
            'conversation event',
            conversationEventSchema,
            message.value,
          );
          await route.execute(event);
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
      await maintain.execute();
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
  }
}
