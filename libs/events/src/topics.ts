/**
 * The Kafka topics of Switchboard. Names carry the schema's major version, so an incompatible
 * envelope gets a new topic and old and new consumers can run side by side during a rollout.
 * Everything about one conversation uses the same partition key, so it stays in order.
 */
export const Topics = {
  /** Normalised customer messages from every gateway. Key: tenant + thread key. */
  inboundMessages: 'switchboard.inbound-messages.v1',
  /** Conversation changes (created, message appended, assigned, resolved …). Key: conversation. */
  conversationEvents: 'switchboard.conversation-events.v1',
  /** Router decisions: offers, assignments, re-queues, each with its explanation. Key: conversation. */
  routingDecisions: 'switchboard.routing-decisions.v1',
  /** Agent replies to deliver on the customer's channel. Key: conversation. */
  outboundMessages: 'switchboard.outbound-messages.v1',
  /** Delivery outcomes reported by gateways (sent, delivered, read, failed). Key: conversation. */
  deliveryStatus: 'switchboard.delivery-status.v1',
  /**
   * Ephemeral activity (viewing, typing, read) of agents and customers on a conversation.
   * Conversation-service replicas share it so agents see a collision and the customer typing
   * whichever replica they are connected to; gateways show the agent typing and reading to the
   * customer. Key: tenant + thread key. Short retention.
   */
  conversationActivity: 'switchboard.conversation-activity.v1',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

/** Where a consumer parks a message it cannot process, with the reason in its headers. */
export function deadLetterTopicOf(topic: string): string {
  return `${topic}.dlq`;
}

export interface TopicLayout {
  partitions: number;
  replicationFactor: number;
}

/** The topics a service touches, plus their dead-letter topics, ready for ensureTopics(). */
export function topicSpecsFor(
  topics: readonly string[],
  layout: TopicLayout,
): { name: string; partitions: number; replicationFactor: number }[] {
  return topics.flatMap((name) => [
    { name, ...layout },
    { name: deadLetterTopicOf(name), ...layout },
  ]);
}
