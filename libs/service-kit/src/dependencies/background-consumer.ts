import type { ConsumerOptions, KafkaClient, MessageConsumer } from '@switchboard/kafka';
import type { Logger } from 'pino';

/**
 * A Kafka consumer that joins its group in the background and keeps trying until Kafka answers,
 * so a service can boot before its broker (readiness reports the broker meanwhile). `stop()`
 * cancels a pending retry and drains a joined consumer.
 */
export class BackgroundConsumer {
  private consumer: MessageConsumer | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly options: ConsumerOptions,
    private readonly logger: Logger,
    private readonly retryMs = 2_000,
  ) {}

  start(): void {
    void this.join();
  }

  private async join(): Promise<void> {
    if (this.stopped) return;
    const consumer = this.kafka.createConsumer(this.options);
    try {
      await consumer.start();
      if (this.stopped) {
        await consumer.stop();
        return;
      }
      this.consumer = consumer;
      this.logger.info(
        { topics: this.options.topics, groupId: this.options.groupId },
        'consumer joined',
      );
    } catch (error) {
      await consumer.stop().catch(() => undefined);
      this.logger.warn(
        { err: error, groupId: this.options.groupId, retryInMs: this.retryMs },
        'consumer not started yet; retrying',
      );
      if (!this.stopped) this.retryTimer = setTimeout(() => void this.join(), this.retryMs);
    }
  }

  isConnected(): boolean {
    return this.consumer?.isConnected() ?? false;
  }

  /** Partitions of `topic` this replica consumes (empty until joined). */
  assignedPartitions(topic: string): number[] {
    return this.consumer?.assignedPartitions()[topic] ?? [];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.consumer?.stop();
  }
}
