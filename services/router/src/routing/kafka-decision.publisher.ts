import { encodeEnvelope, type RoutingDecisionEvent } from '@switchboard/events';
import type { MessageProducer } from '@switchboard/kafka';
import type { DecisionPublisher } from './routing-ports';

/** Publishes decisions keyed by conversation, so they stay in order with its other events. */
export class KafkaDecisionPublisher implements DecisionPublisher {
  constructor(
    private readonly producer: MessageProducer,
    private readonly topic: string,
  ) {}

  async publish(decisions: readonly RoutingDecisionEvent[]): Promise<void> {
    if (decisions.length === 0) return;
    await this.producer.send(
      this.topic,
      decisions.map((decision) => ({
        key: decision.conversationId,
        value: encodeEnvelope(decision),
      })),
    );
  }
}
