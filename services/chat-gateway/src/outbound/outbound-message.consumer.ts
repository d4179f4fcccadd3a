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
import type { ChatGatewayWiring } from '../chat-gateway.wiring';
import { CHAT_WIRING } from '../shared/tokens';
import { AcceptAgentReplyUseCase } from './accept-agent-reply.usecase';

/**
 * Kafka transport for agent replies: one consumer group across replicas, so each reply is
 * queued once; undecodable envelopes are dead-lettered with the validation error as reason.
 */
@Injectable()
export class OutboundMessageConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly consumer: BackgroundConsumer;

  constructor(
    @Inject(KAFKA_CLIENT) kafka: KafkaClient,
    @Inject(CHAT_WIRING) private readonly wiring: ChatGatewayWiring,
    private readonly acceptReply: AcceptAgentReplyUseCase,
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
    await this.acceptReply.execute(outbound);
  }

  /** Whether this replica consumes at least one partition (tests prove cross-replica pushes). */
  assignedPartitions(): number[] {
    return this.consumer.assignedPartitions(this.wiring.topics.outboundMessages);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
  }
}
