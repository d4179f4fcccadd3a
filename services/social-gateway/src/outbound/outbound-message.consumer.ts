import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { decodeEnvelope, outboundMessageSchema } from '@switchboard/events';
import type { IncomingMessage, KafkaClient } from '@switchboard/kafka';
import { BackgroundConsumer, KAFKA_CLIENT, ROOT_LOGGER } from '@switchboard/service-kit';
import type { Logger } from 'pino';
import { SOCIAL_WIRING } from '../shared/tokens';
import type { SocialGatewayWiring } from '../social-gateway.wiring';
import { DeliverOutboundMessageUseCase } from './deliver-outbound-message.usecase';

/**
 * Kafka transport for agent replies: decodes each outbound envelope and hands social ones to the
 * use case. Undecodable envelopes fail and, after the consumer's retries, land in the dead-letter
 * topic with the validation error as their reason.
 */
@Injectable()
export class OutboundMessageConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly consumer: BackgroundConsumer;

  constructor(
    @Inject(KAFKA_CLIENT) kafka: KafkaClient,
    @Inject(SOCIAL_WIRING) private readonly wiring: SocialGatewayWiring,
    private readonly deliver: DeliverOutboundMessageUseCase,
    @Inject(ROOT_LOGGER) rootLogger: Logger,
  ) {
    this.consumer = new BackgroundConsumer(
      kafka,
      {
        groupId: wiring.consumerGroupId,
        topics: [wiring.topics.outboundMessages],
        handler: (message) => this.handle(message),
        ...wiring.consumerTuning,
      },
      rootLogger.child({ component: 'outbound-consumer' }),
    );
  }

  onApplicationBootstrap(): void {
    this.consumer.start();
  }

  private async handle(message: IncomingMessage): Promise<void> {
    const outbound = decodeEnvelope('outbound message', outboundMessageSchema, message.value);
    await this.deliver.execute(outbound);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
  }
}
