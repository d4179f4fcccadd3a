import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { decodeEnvelope, outboundMessageSchema } from '@switchboard/events';
import type { IncomingMessage, KafkaClient, MessageConsumer } from '@switchboard/kafka';
import { KAFKA_CLIENT, ROOT_LOGGER } from '@switchboard/service-kit';
import type { Logger } from 'pino';
import type { ChatGatewayWiring } from '../chat-gateway.wiring';
import { CHAT_WIRING } from '../shared/tokens';
import { AcceptAgentReplyUseCase } from './accept-agent-reply.usecase';

const START_RETRY_MS = 2_000;

/**
 * Kafka transport for agent replies: one consumer group across replicas, so each reply is
 * queued once; undecodable envelopes are dead-lettered with the validation error as reason.
 */
@Injectable()
export class OutboundMessageConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private consumer: MessageConsumer | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly logger: Logger;

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: KafkaClient,
    @Inject(CHAT_WIRING) private readonly wiring: ChatGatewayWiring,
    private readonly acceptReply: AcceptAgentReplyUseCase,
    @Inject(ROOT_LOGGER) rootLogger: Logger,
  ) {
    this.logger = rootLogger.child({ component: 'outbound-consumer' });
  }

  onApplicationBootstrap(): void {
    void this.start();
  }

  /** Joins in the background and keeps trying, so the gateway can boot before Kafka does. */
  private async start(): Promise<void> {
    if (this.stopped) return;
    const consumer = this.kafka.createConsumer({
      groupId: this.wiring.consumerGroupId,
      topics: [this.wiring.topics.outboundMessages],
      handler: (message) => this.handle(message),
      ...this.wiring.consumerTuning,
    });
    try {
      await consumer.start();
      if (this.stopped) {
        await consumer.stop();
        return;
      }
      this.consumer = consumer;
      this.logger.info({ topic: this.wiring.topics.outboundMessages }, 'outbound consumer joined');
    } catch (error) {
      await consumer.stop().catch(() => undefined);
      this.logger.warn(
        { err: error, retryInMs: START_RETRY_MS },
        'outbound consumer not started yet; retrying',
      );
      if (!this.stopped) this.retryTimer = setTimeout(() => void this.start(), START_RETRY_MS);
    }
  }

  private async handle(message: IncomingMessage): Promise<void> {
    const outbound = decodeEnvelope('outbound message', outboundMessageSchema, message.value);
    await this.acceptReply.execute(outbound);
  }

  /** Whether this replica consumes at least one partition (tests prove cross-replica pushes). */
  assignedPartitions(): number[] {
    return this.consumer?.assignedPartitions()[this.wiring.topics.outboundMessages] ?? [];
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.consumer?.stop();
  }
}
