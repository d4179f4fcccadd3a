import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { JwtAuthenticator } from '@switchboard/grpc-kit';
import { decodeEnvelope, routingDecisionSchema } from '@switchboard/events';
import type { KafkaClient, MessageConsumer } from '@switchboard/kafka';
import type { MetricsRegistry } from '@switchboard/metrics';
import {
  cachedProbe,
  KAFKA_CLIENT,
  METRICS_REGISTRY,
  MONGO_CONNECTION,
  ReadinessRegistry,
  ROOT_LOGGER,
} from '@switchboard/service-kit';
import type { Connection } from 'mongoose';
import type { Logger } from 'pino';
import { createConversationCore, type ConversationCore } from './conversations/conversation-core';
import type { ConversationTopics } from './conversations/conversation-topics';
import {
  CONVERSATION_CORE,
  ConversationGrpcController,
  JWT_AUTHENTICATOR,
} from './grpc/conversation.grpc-controller';
import { InboundMessageConsumer } from './ingestion/inbound-message.consumer';
import { ActivityConsumer } from './watch/activity.consumer';
import { createDeliveryStatusConsumer } from './delivery/delivery-status.consumer';
import { ensureConversationIndexes } from './persistence/conversation.schemas';
import { systemClock } from './shared/clock';
import { ConversationMetrics } from './sla/conversation.metrics';
import { BackgroundTimers } from './shared/background-timers';
import type { SlaConfiguration } from './config/sla-config';

export interface ConversationModuleOptions {
  topics: ConversationTopics;
  consumerGroupId: string;
  jwtSecret: string;
  snoozePollIntervalMs: number;
  watchPollIntervalMs: number;
  sla?: SlaConfiguration;
  /** Tests shorten Kafka timeouts; production keeps the library defaults. */
  kafkaConsumerTuning?: { sessionTimeoutMs?: number; heartbeatIntervalMs?: number };
}

const OPTIONS = Symbol('CONVERSATION_MODULE_OPTIONS');
const STARTUP_RETRY_MS = 2_000;

/**
 * Starts the work that needs the database and Kafka once they answer: indexes first (the unique
 * indexes are what make ingestion idempotent), then the inbound consumer and the timers.
 */
@Injectable()
class ConversationRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private consumer: InboundMessageConsumer | undefined;
  private decisionsConsumer: MessageConsumer | undefined;
  private activityConsumer: ActivityConsumer | undefined;
  private deliveryConsumer: MessageConsumer | undefined;
  private readonly timers: BackgroundTimers;
  private started = false;
  private stopping = false;
  private retry: NodeJS.Timeout | undefined;
  private readonly logger: Logger;

  constructor(
    @Inject(CONVERSATION_CORE) private readonly core: ConversationCore,
    @Inject(KAFKA_CLIENT) private readonly kafka: KafkaClient,
    @Inject(OPTIONS) private readonly options: ConversationModuleOptions,
    @Inject(ROOT_LOGGER) rootLogger: Logger,
    private readonly metrics: ConversationMetrics,
    readiness: ReadinessRegistry,
  ) {
    this.logger = rootLogger.child({ component: 'conversation' });
    this.timers = new BackgroundTimers((job, error) =>
      this.logger.warn({ err: error, job }, 'background job failed; retrying at the next tick'),
    );
    readiness.register(
      'conversation-ingestion',
      cachedProbe(async () => this.started && (this.consumer?.isConnected() ?? false)),
    );
  }

  onApplicationBootstrap(): void {
    void this.start();
  }

  private async start(): Promise<void> {
    if (this.stopping) return;
    try {
      await ensureConversationIndexes(this.core.models);
      this.consumer = new InboundMessageConsumer(
        this.kafka,
        this.core.ingestInboundMessage,
        {
          topic: this.options.topics.inboundMessages,
          groupId: this.options.consumerGroupId,
          ...this.options.kafkaConsumerTuning,
          onIngested: (lagMs) => this.metrics.observeIngestLag(lagMs),
        },
        this.logger,
      );
      await this.consumer.start();
      await this.startRoutingDecisionsConsumer();
      await this.startActivityConsumer();
      await this.startDeliveryStatusConsumer();
      this.timers.every('snooze-waker', this.options.snoozePollIntervalMs, () =>
        this.core.wakeSnoozed.execute(),
      );
      this.timers.every('sla-timer', this.options.snoozePollIntervalMs, () =>
        this.core.checkSlaBreaches.execute(),
      );
      this.timers.every('outbox-sweeper', 10_000, () => this.sweepOutbox());
      this.started = true;
      this.logger.info({}, 'conversation ingestion started');
    } catch (error) {
      this.logger.warn({ err: error, retryInMs: STARTUP_RETRY_MS }, 'not started yet; retrying');
      await this.consumer?.stop().catch(() => undefined);
      await this.decisionsConsumer?.stop().catch(() => undefined);
      await this.activityConsumer?.stop().catch(() => undefined);
      await this.deliveryConsumer?.stop().catch(() => undefined);
      if (!this.stopping) this.retry = setTimeout(() => void this.start(), STARTUP_RETRY_MS);
    }
  }

  /** Applies the router's queue and agent decisions to conversations (see ApplyRoutingDecisionUseCase). */
  private async startRoutingDecisionsConsumer(): Promise<void> {
    const topic = this.options.topics.routingDecisions;
    if (!topic) return;
    this.decisionsConsumer = this.kafka.createConsumer({
      groupId: `${this.options.consumerGroupId}.routing-decisions`,
      topics: [topic],
      fromBeginning: true,
      ...this.options.kafkaConsumerTuning,
      handler: async (message) => {
        const decision = decodeEnvelope('routing decision', routingDecisionSchema, message.value);
        const outcome = await this.core.applyRoutingDecision.execute(decision);
        this.logger.debug({ decisionId: decision.decisionId, outcome }, 'routing decision applied');
      },
    });
    await this.decisionsConsumer.start();
  }

  /** Records gateways' delivery reports on agent replies (see RecordDeliveryStatusUseCase). */
  private async startDeliveryStatusConsumer(): Promise<void> {
    const topic = this.options.topics.deliveryStatus;
    if (!topic) return;
    this.deliveryConsumer = createDeliveryStatusConsumer(
      this.kafka,
      this.core.recordDeliveryStatus,
      {
        topic,
        groupId: `${this.options.consumerGroupId}.delivery-status`,
        ...this.options.kafkaConsumerTuning,
      },
      this.logger,
    );
    await this.deliveryConsumer.start();
  }

  /** Shows other replicas' and customers' activity to this replica's watchers. */
  private async startActivityConsumer(): Promise<void> {
    const topic = this.options.topics.conversationActivity;
    if (!topic) return;
    this.activityConsumer = new ActivityConsumer(
      this.kafka,
      this.core.relayActivity,
      {
        topic,
        // One group per process: see ActivityConsumerOptions.groupId.
        groupId: `${this.options.consumerGroupId}.activity.${this.core.replicaId}`,
        ...this.options.kafkaConsumerTuning,
      },
      this.logger,
    );
    await this.activityConsumer.start();
  }

  /** Flushes outboxes whose writer died before flushing (a crashed replica, a failed publish). */
  private async sweepOutbox(): Promise<void> {
    const stuck = await this.core.repositories.conversations.findWithPendingEvents(100);
    for (const { tenantId, id } of stuck) await this.core.outbox.flush(tenantId, id);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.retry);
    this.core.feed.close();
    await this.timers.stop();
    await this.consumer?.stop();
    await this.decisionsConsumer?.stop();
    await this.activityConsumer?.stop();
    await this.deliveryConsumer?.stop();
    await this.core.producer.disconnect();
  }
}

@Module({})
export class ConversationModule {
  static forRoot(options: ConversationModuleOptions): DynamicModule {
    return {
      module: ConversationModule,
      controllers: [ConversationGrpcController],
      providers: [
        { provide: OPTIONS, useValue: options },
        {
          provide: CONVERSATION_CORE,
          inject: [MONGO_CONNECTION, KAFKA_CLIENT],
          useFactory: (connection: Connection, kafka: KafkaClient) =>
            createConversationCore({
              connection,
              kafka,
              topics: options.topics,
              clock: systemClock,
              feedPollIntervalMs: options.watchPollIntervalMs,
              sla: options.sla,
            }),
        },
        {
          provide: JWT_AUTHENTICATOR,
          useFactory: () => new JwtAuthenticator({ secret: options.jwtSecret }),
        },
        {
          provide: ConversationMetrics,
          inject: [CONVERSATION_CORE, METRICS_REGISTRY],
          useFactory: (core: ConversationCore, registry: MetricsRegistry) =>
            new ConversationMetrics(core, registry),
        },
        ConversationRuntime,
      ],
      exports: [CONVERSATION_CORE],
    };
  }
}
