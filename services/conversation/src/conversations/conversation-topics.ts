import { Topics } from '@switchboard/events';

/** The Kafka topics this service uses; tests pass their own prefixed names. */
export interface ConversationTopics {
  inboundMessages: string;
  conversationEvents: string;
  outboundMessages: string;
  /** The router's decisions; applied as queue and assignee changes when given. */
  routingDecisions?: string;
  /** Agent and customer activity shared between replicas and gateways; local only when unset. */
  conversationActivity?: string;
  /** Gateways' delivery reports for agent replies; recorded when given. */
  deliveryStatus?: string;
}

export const DEFAULT_CONVERSATION_TOPICS: ConversationTopics = {
  inboundMessages: Topics.inboundMessages,
  conversationEvents: Topics.conversationEvents,
  outboundMessages: Topics.outboundMessages,
  routingDecisions: Topics.routingDecisions,
  conversationActivity: Topics.conversationActivity,
  deliveryStatus: Topics.deliveryStatus,
};

export const CONVERSATION_TOPICS = Symbol('CONVERSATION_TOPICS');
