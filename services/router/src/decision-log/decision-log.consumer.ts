import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { decodeEnvelope, routingDecisionSchema, Topics } from '@switchboard/events';
import type { IncomingMessage, KafkaClient } from '@switchboard/kafka';
import { BackgroundConsumer, KAFKA_CLIENT, ROOT_LOGGER } from '@switchboard/service-kit';
import type { Logger } from 'pino';
import type { RouterConfig } from '../config/router.config';
import { ROUTER_CONFIG } from '../routing/router-runtime';
import type { DecisionLogRepository, LoggedDecision } from './decision-log.repository';

export const DECISION_LOG = Symbol('DECISION_LOG');
export const DECISION_LOG_LISTENER = Symbol('DECISION_LOG_LISTENER');

/** Told about each decision when it is first stored (the wait-time histogram counts it). */
export interface DecisionLogListener {
  decisionLogged(decision: LoggedDecision): void;
}

const INDEX_RETRY_MS = 2_000;

/**
 * Kafka transport of the decision log: its own consumer group over the routing-decisions topic,
 * so every decision is stored once across replicas, whatever the other consumers of the topic do.
 * Undecodable decisions are dead-lettered with the validation error as their reason.
 */
@Injectable()
export class DecisionLogConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly consumer: BackgroundConsumer;
  private readonly logger: Logger;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    @Inject(ROUTER_CONFIG) config: RouterConfig,
    @Inject(KAFKA_CLIENT) kafka: KafkaClient,
    @Inject(DECISION_LOG) private readonly log: DecisionLogRepository,
    @Inject(DECISION_LOG_LISTENER) private readonly listener: DecisionLogListener,
    @Inject(ROOT_LOGGER) rootLogger: Logger,
  ) {
    this.logger = rootLogger.child({ component: 'decision-log' });
    this.consumer = new BackgroundConsumer(
      kafka,
      {
        groupId: `${config.KAFKA_TOPIC_PREFIX}router-decision-log`,
        topics: [config.KAFKA_TOPIC_PREFIX + Topics.routingDecisions],
        fromBeginning: true,
        handler: (message) => this.handle(message),
      },
      this.logger,
    );
  }

  onApplicationBootstrap(): void {
    void this.start();
  }

  /** Indexes first (the unique one is what makes redelivery harmless), then the consumer. */
  private async start(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.log.ensureIndexes();
      if (!this.stopped) this.consumer.start();
    } catch (error) {
      this.logger.warn(
        { err: error, retryInMs: INDEX_RETRY_MS },
        'decision log indexes not ready; retrying',
      );
      this.retry = setTimeout(() => void this.start(), INDEX_RETRY_MS);
    }
  }

  private async handle(message: IncomingMessage): Promise<void> {
    const decision = decodeEnvelope('routing decision', routingDecisionSchema, message.value);
    const stored = await this.log.record(decision, {
      partition: message.partition,
      offset: Number(message.offset),
    });
    if (stored) this.listener.decisionLogged(stored);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.consumer.stop();
  }
}
