import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { conversationActivitySchema, decodeEnvelope } from '@switchboard/events';
import type { IncomingMessage, KafkaClient } from '@switchboard/kafka';
import { BackgroundConsumer, KAFKA_CLIENT, ROOT_LOGGER } from '@switchboard/service-kit';
import type { Logger } from 'pino';
import type { ChatGatewayWiring } from '../chat-gateway.wiring';
import { CHAT_WIRING } from '../shared/tokens';
import { RelayAgentActivityUseCase } from './relay-agent-activity.usecase';

/** The consumer group of agent activity: one per deployment, shared by its replicas. */
export const activityGroupOf = (wiring: ChatGatewayWiring): string =>
  `${wiring.consumerGroupId}.activity`;

/**
 * Kafka transport for agent activity. Each event is handled by one replica; the room broadcast
 * (socket.io Redis adapter) reaches the visitor on whichever replica holds the socket.
 * Undecodable events are dead-lettered with the validation error as reason.
 */
@Injectable()
export class ConversationActivityConsumer
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly consumer: BackgroundConsumer;

  constructor(
    @Inject(KAFKA_CLIENT) kafka: KafkaClient,
    @Inject(CHAT_WIRING) private readonly wiring: ChatGatewayWiring,
    private readonly relay: RelayAgentActivityUseCase,
    @Inject(ROOT_LOGGER) rootLogger: Logger,
  ) {
    this.consumer = new BackgroundConsumer(
      kafka,
      {
        groupId: activityGroupOf(wiring),
        topics: [wiring.topics.conversationActivity],
        handler: (message) => this.handle(message),
        ...wiring.consumerTuning,
      },
      rootLogger.child({ component: 'activity-consumer' }),
    );
  }

  onApplicationBootstrap(): void {
    this.consumer.start();
  }

  private async handle(message: IncomingMessage): Promise<void> {
    const event = decodeEnvelope(
      'conversation activity',
      conversationActivitySchema,
      message.value,
    );
    await this.relay.execute(event);
  }

  /** Whether this replica consumes at least one partition (tests prove cross-replica pushes). */
  assignedPartitions(): number[] {
    return this.consumer.assignedPartitions(this.wiring.topics.conversationActivity);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
  }
}
