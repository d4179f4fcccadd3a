import { Topics } from '@switchboard/events';

/** The Kafka topics this service uses; tests pass their own prefixed names. */
export interface ConversationTopics {
  inboundMessages: string;
  conversationEvents: string;
  outboundMessages: string;
  /** The router's decisions; applied as queue and assignee changes when given. */
  routingDecisions?: string;
}

export const DEFAULT_CONVERSATION_TOPICS: ConversationTopics = {
  inboundMessages: Topics.inboundMessages,
  conversationEvents: Topics.conversationEvents,
  outboundMessages: Topics.outboundMessages,
  routingDecisions: Topics.routingDecisions,
};

export const CONVERSATION_TOPICS = Symbol('CONVERSATION_TOPICS');
