import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { conversationEventSchema, decodeEnvelope } from '@switchboard/events';
import type { IncomingMessage, KafkaClient } from '@switchboard/kafka';
import { BackgroundConsumer, KAFKA_CLIENT, ROOT_LOGGER } from '@switchboard/service-kit';
import type { Logger } from 'pino';
import type { ChatGatewayWiring } from '../chat-gateway.wiring';
import { CHAT_WIRING, THREAD_CONVERSATIONS } from '../shared/tokens';
import type { ThreadConversationStore } from './thread-conversation.store';

/** The consumer group learning conversation ids: one per deployment, shared by its replicas. */
export const conversationsGroupOf = (wiring: ChatGatewayWiring): string =>
  `${wiring.consumerGroupId}.conversations`;

/**
 * Learns which conversation a chat thread belongs to from the conversation service's events, so
 * the wait estimate (and history) work before any agent replied: the conversation service's API
 * finds conversations by id, never by thread key. Idempotent (a thread always maps to the same
 * conversation), so redeliveries are harmless; other channels are skipped without a write.
 */
@Injectable()
export class ConversationEventsConsumer
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly consumer: BackgroundConsumer;

  constructor(
    @Inject(KAFKA_CLIENT) kafka: KafkaClient,
    @Inject(CHAT_WIRING) private readonly wiring: ChatGatewayWiring,
    @Inject(THREAD_CONVERSATIONS) private readonly conversations: ThreadConversationStore,
    @Inject(ROOT_LOGGER) rootLogger: Logger,
  ) {
    this.consumer = new BackgroundConsumer(
      kafka,
      {
        groupId: conversationsGroupOf(wiring),
        topics: [wiring.topics.conversationEvents],
        handler: (message) => this.handle(message),
        ...wiring.consumerTuning,
      },
      rootLogger.child({ component: 'conversation-events-consumer' }),
    );
  }

  onApplicationBootstrap(): void {
    this.consumer.start();
  }

  private async handle(message: IncomingMessage): Promise<void> {
    const event = decodeEnvelope('conversation event', conversationEventSchema, message.value);
    // Every chat event, not only `created`: a deployment that joined later learns it too.
    if (event.conversation.channel !== 'chat') return;
    await this.conversations.remember(
      event.tenantId,
      event.conversation.threadKey,
      event.conversationId,
    );
  }

  assignedPartitions(): number[] {
    return this.consumer.assignedPartitions(this.wiring.topics.conversationEvents);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
  }
}
