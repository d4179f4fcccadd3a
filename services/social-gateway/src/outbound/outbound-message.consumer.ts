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
import { SOCIAL_WIRING } from '../shared/tokens';
import type { SocialGatewayWiring } from '../social-gateway.wiring';
import { DeliverOutboundMessageUseCase } from './deliver-outbound-message.usecase';

const START_RETRY_MS = 2_000;

/**
 * Kafka transport for agent replies: decodes each outbound envelope and hands social ones to the
 * use case. Undecodable envelopes fail and, after the consumer's retries, land in the dead-letter
 * topic with the validation error as their reason.
 */
@Injectable()
export class OutboundMessageConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private consumer: MessageConsumer | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly logger: Logger;

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: KafkaClient,
    @Inject(SOCIAL_WIRING) private readonly wiring: SocialGatewayWiring,
    private readonly deliver: DeliverOutboundMessageUseCase,
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
    await this.deliver.execute(outbound);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.consumer?.stop();
  }
}
