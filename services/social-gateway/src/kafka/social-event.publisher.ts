import {
  type DeliveryStatus,
  encodeEnvelope,
  type InboundMessage,
  threadPartitionKey,
} from '@switchboard/events';
import type { MessageProducer } from '@switchboard/kafka';

export interface SocialTopics {
  inboundMessages: string;
  outboundMessages: string;
  deliveryStatus: string;
}

/**
 * Where the gateway's events go. Resolves once Kafka acknowledged; rejects with
 * KafkaUnavailableError when it could not (callers then refuse temporarily).
 */
export interface SocialEventPublisher {
  publishInbound(messages: readonly InboundMessage[]): Promise<void>;
  publishStatuses(statuses: readonly DeliveryStatus[]): Promise<void>;
}

export class KafkaSocialEventPublisher implements SocialEventPublisher {
  constructor(
    private readonly producer: MessageProducer,
    private readonly topics: SocialTopics,
  ) {}

  async publishInbound(messages: readonly InboundMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.producer.send(
      this.topics.inboundMessages,
      messages.map((message) => ({
        key: threadPartitionKey(message.tenantId, message.channel, message.threadKey),
        value: encodeEnvelope(message),
      })),
    );
  }

  async publishStatuses(statuses: readonly DeliveryStatus[]): Promise<void> {
    if (statuses.length === 0) return;
    // Keyed like the outbound topic (by conversation), so a message's statuses stay in order.
    await this.producer.send(
      this.topics.deliveryStatus,
      statuses.map((status) => ({ key: status.conversationId, value: encodeEnvelope(status) })),
    );
  }
}
