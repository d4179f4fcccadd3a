import {
  type DynamicModule,
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { createKafkaClient, type KafkaClient, type TopicSpec } from '@switchboard/kafka';
import type { MetricsRegistry } from '@switchboard/metrics';
import type { Logger } from 'pino';
import { cachedProbe, ReadinessRegistry } from '../health/readiness.registry';
import { KAFKA_CLIENT, KAFKA_MODULE_OPTIONS, METRICS_REGISTRY, ROOT_LOGGER } from '../tokens';
import { settleWithin } from './with-timeout.util';

export interface KafkaModuleOptions {
  brokers: string[];
  clientId: string;
  /** Topics this service produces to or consumes from; created at start-up when missing. */
  topics: TopicSpec[];
}

const TOPIC_BOOTSTRAP_RETRY_MS = 2_000;

/**
 * Creates the service's topics in the background, retrying until Kafka answers, so a service can
 * start before its broker and report not-ready meanwhile instead of crashing.
 */
@Injectable()
export class KafkaTopicBootstrap implements OnApplicationBootstrap, OnApplicationShutdown {
  private topicsReady = false;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly logger: Logger;

  constructor(
    @Inject(KAFKA_CLIENT) private readonly client: KafkaClient,
    @Inject(KAFKA_MODULE_OPTIONS) private readonly options: KafkaModuleOptions,
    private readonly readiness: ReadinessRegistry,
    @Inject(ROOT_LOGGER) rootLogger: Logger,
  ) {
    this.logger = rootLogger.child({ component: 'kafka-topics' });
    this.readiness.register(
      'kafka',
      cachedProbe(async () => this.topicsReady && (await this.client.admin().ping(1_000))),
    );
  }

  onApplicationBootstrap(): void {
    void this.ensureTopics();
  }

  private async ensureTopics(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.client.admin().ensureTopics(this.options.topics, { timeoutMs: 10_000 });
      this.topicsReady = true;
      this.logger.info(
        { topics: this.options.topics.map((topic) => topic.name) },
        'kafka topics ready',
      );
    } catch (error) {
      this.logger.warn(
        { err: error, retryInMs: TOPIC_BOOTSTRAP_RETRY_MS },
        'kafka topics not ready yet; retrying',
      );
      if (!this.stopped) {
        this.retryTimer = setTimeout(() => void this.ensureTopics(), TOPIC_BOOTSTRAP_RETRY_MS);
      }
    }
  }

  // Runs after every consumer drained in beforeApplicationShutdown: nothing uses Kafka any more.
  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await settleWithin(this.client.close(), 3_000);
  }
}

/** The service's Kafka client (inject with KAFKA_CLIENT), its topics and a readiness probe. */
@Module({})
export class KafkaModule {
  static forRoot(options: KafkaModuleOptions): DynamicModule {
    return {
      module: KafkaModule,
      global: true,
      providers: [
        { provide: KAFKA_MODULE_OPTIONS, useValue: options },
        {
          provide: KAFKA_CLIENT,
          inject: [ROOT_LOGGER, METRICS_REGISTRY],
          useFactory: (logger: Logger, metrics: MetricsRegistry): KafkaClient =>
            createKafkaClient({
              brokers: options.brokers,
              clientId: options.clientId,
              logger: logger.child({ component: 'kafka' }),
              metrics,
            }),
        },
        KafkaTopicBootstrap,
      ],
      exports: [KAFKA_CLIENT],
    };
  }
}
