import {
  type ConversationActivityEvent,
  type DeliveryStatus,
  encodeEnvelope,
  type InboundMessage,
  type OutboundMessage,
  threadPartitionKey,
} from '@switchboard/events';
import type { MessageProducer } from '@switchboard/kafka';

export interface ChatTopics {
  inboundMessages: string;
  outboundMessages: string;
  deliveryStatus: string;
  conversationActivity: string;
  /** Consumed only: the conversation service's events tell which conversation a thread is. */
  conversationEvents: string;
}

/**
 * Where the gateway's events go. Resolves once Kafka acknowledged; rejects with
 * KafkaUnavailableError when it could not (the visitor is then told to retry).
 */
export interface ChatEventPublisher {
  publishInbound(message: InboundMessage): Promise<void>;
  publishStatus(status: DeliveryStatus): Promise<void>;
  /** A message for another channel (the email fallback), keyed like every outbound message. */
  publishOutbound(message: OutboundMessage): Promise<void>;
  /** The visitor typing or reading, keyed by thread like the conversation's other activity. */
  publishActivity(event: ConversationActivityEvent): Promise<void>;
}

export class KafkaChatEventPublisher implements ChatEventPublisher {
  constructor(
    private readonly producer: MessageProducer,
    private readonly topics: ChatTopics,
  ) {}

  async publishInbound(message: InboundMessage): Promise<void> {
    await this.producer.send(this.topics.inboundMessages, [
      {
        key: threadPartitionKey(message.tenantId, message.channel, message.threadKey),
        value: encodeEnvelope(message),
      },
    ]);
  }

  async publishStatus(status: DeliveryStatus): Promise<void> {
    // Keyed like the outbound topic (by conversation), so a message's statuses stay in order.
    await this.producer.send(this.topics.deliveryStatus, [
      { key: status.conversationId, value: encodeEnvelope(status) },
    ]);
  }

  async publishOutbound(message: OutboundMessage): Promise<void> {
    await this.producer.send(this.topics.outboundMessages, [
      { key: message.conversationId, value: encodeEnvelope(message) },
    ]);
  }

  async publishActivity(event: ConversationActivityEvent): Promise<void> {
    await this.producer.send(this.topics.conversationActivity, [
      {
        key: threadPartitionKey(event.tenantId, event.channel, event.threadKey),
        value: encodeEnvelope(event),
      },
    ]);
  }
}
