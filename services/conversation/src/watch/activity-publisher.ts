import {
  type ConversationActivityEvent,
  encodeEnvelope,
  threadPartitionKey,
} from '@switchboard/events';
import type { MessageProducer } from '@switchboard/kafka';

/** Shares an agent's activity with the other replicas and the gateways. */
export interface ActivityPublisher {
  publish(event: ConversationActivityEvent): Promise<void>;
}

/** Keyed by thread like everything else about it, so one thread's signals stay in order. */
export class KafkaActivityPublisher implements ActivityPublisher {
  constructor(
    private readonly producer: MessageProducer,
    private readonly topic: string,
  ) {}

  async publish(event: ConversationActivityEvent): Promise<void> {
    await this.producer.send(this.topic, [
      {
        key: threadPartitionKey(event.tenantId, event.channel, event.threadKey),
        value: encodeEnvelope(event),
        headers: { 'x-tenant-id': event.tenantId },
      },
    ]);
  }
}
