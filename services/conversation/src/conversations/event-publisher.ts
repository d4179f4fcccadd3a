import { type ConversationEvent, encodeEnvelope, type OutboundMessage } from '@switchboard/events';
import type { MessageProducer } from '@switchboard/kafka';
import type { LoggedEvent } from '../persistence/event-log.repository';
import type { ConversationTopics } from './conversation-topics';

/** Where conversation events and replies go once stored (Kafka in production). */
export interface ConversationEventPublisher {
  publishEvent(event: LoggedEvent): Promise<void>;
  publishOutbound(message: OutboundMessage): Promise<void>;
}

export function toConversationEventEnvelope(event: LoggedEvent): ConversationEvent {
  return {
    schemaVersion: 1,
    tenantId: event.tenantId,
    eventId: `${event.conversationId}:${event.seq}`,
    conversationId: event.conversationId,
    sequence: event.seq,
    tenantCursor: event.cursor,
    type: event.type,
    occurredAt: event.occurredAt.toISOString(),
    actor: event.actor,
    triggersRouting: event.triggersRouting,
    conversation: event.snapshot,
    data: event.data,
  };
}

export class KafkaConversationEventPublisher implements ConversationEventPublisher {
  constructor(
    private readonly producer: MessageProducer,
    private readonly topics: ConversationTopics,
  ) {}

  async publishEvent(event: LoggedEvent): Promise<void> {
    await this.producer.send(this.topics.conversationEvents, [
      {
        key: event.conversationId,
        value: encodeEnvelope(toConversationEventEnvelope(event)),
        headers: { 'x-tenant-id': event.tenantId, 'x-event-type': event.type },
      },
    ]);
  }

  async publishOutbound(message: OutboundMessage): Promise<void> {
    await this.producer.send(this.topics.outboundMessages, [
      {
        key: message.conversationId,
        value: encodeEnvelope(message),
        headers: { 'x-tenant-id': message.tenantId },
      },
    ]);
  }
}
