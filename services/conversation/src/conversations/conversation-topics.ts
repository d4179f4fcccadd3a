import { Topics } from '@switchboard/events';

/** The Kafka topics this service uses; tests pass their own prefixed names. */
export interface ConversationTopics {
  inboundMessages: string;
  conversationEvents: string;
  outboundMessages: string;
}

export const DEFAULT_CONVERSATION_TOPICS: ConversationTopics = {
  inboundMessages: Topics.inboundMessages,
  conversationEvents: Topics.conversationEvents,
  outboundMessages: Topics.outboundMessages,
};

export const CONVERSATION_TOPICS = Symbol('CONVERSATION_TOPICS');
