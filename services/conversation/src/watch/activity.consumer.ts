import {
  conversationActivitySchema,
  decodeEnvelope,
  EnvelopeValidationError,
} from '@switchboard/events';
import type { KafkaClient, MessageConsumer } from '@switchboard/kafka';
import type { Logger } from 'pino';
import type { RelayActivityUseCase } from './relay-activity.usecase';

export interface ActivityConsumerOptions {
  topic: string;
  /**
   * Unique per process. Kafka gives each partition of a group to one member, so replicas sharing
   * a group would each see only the threads on their partitions, while the agents watching a
   * thread may be connected to any replica: every replica needs every signal (a broadcast), which
   * takes a group of its own. `stop()` deletes it, so replicas that come and go (rolling
   * deploys, autoscaling) leave no groups behind; one of a crashed process holds nothing and
   * expires with the broker's `offsets.retention.minutes`.
   */
  groupId: string;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
}

/**
 * Kafka transport of activity signals. Starts at the latest offset (a new replica has no use for
 * old signals, which have expired anyway) and never fails a message: a signal is worth nothing
 * later, so one that cannot be read or shown is logged and skipped instead of retried, and not
 * dead-lettered, which every replica would do once for the same message.
 */
export class ActivityConsumer {
  private consumer: MessageConsumer | undefined;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly relay: RelayActivityUseCase,
    private readonly options: ActivityConsumerOptions,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.consumer = this.kafka.createConsumer({
      groupId: this.options.groupId,
      topics: [this.options.topic],
      fromBeginning: false,
      maxAttempts: 1,
      sessionTimeoutMs: this.options.sessionTimeoutMs,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs,
      handler: async (message) => {
        try {
          const event = decodeEnvelope(
            'conversation activity',
            conversationActivitySchema,
            message.value,
          );
          const outcome = await this.relay.execute(event);
          this.logger.debug({ outcome, origin: event.origin }, 'activity relayed');
        } catch (error) {
          const invalid = error instanceof EnvelopeValidationError;
          this.logger.warn(
            { err: error, offset: message.offset, partition: message.partition },
            invalid ? 'invalid activity signal skipped' : 'activity signal not shown',
          );
        }
      },
    });
    await this.consumer.start();
  }

  async stop(): Promise<void> {
    if (!this.consumer) return;
    await this.consumer.stop();
    this.consumer = undefined;
    await this.kafka
      .admin()
      .deleteConsumerGroups([this.options.groupId])
      .catch((error: unknown) => {
        this.logger.warn(
          { err: error, groupId: this.options.groupId },
          'activity consumer group not deleted; it expires with offsets.retention.minutes',
        );
      });
  }
}
