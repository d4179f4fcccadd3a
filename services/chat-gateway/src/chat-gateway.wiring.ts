import { Topics } from '@switchboard/events';
import type { ConsumerOptions } from '@switchboard/kafka';
import type { ChatTopics } from './kafka/chat-event.publisher';
import { type Clock, systemClock } from './shared/clock';

/**
 * What differs between production and a test run: topic names, consumer group and timings. Agent
 * activity is consumed in its own group, `<consumerGroupId>.activity`, so a slow reply never holds
 * up a typing indicator (and the other way round).
 */
export interface ChatGatewayWiring {
  topics: ChatTopics;
  consumerGroupId: string;
  consumerTuning: Pick<
    ConsumerOptions,
    | 'sessionTimeoutMs'
    | 'heartbeatIntervalMs'
    | 'maxWaitTimeMs'
    | 'fromBeginning'
    | 'retryBackoffMs'
  >;
  clock: Clock;
}

export const productionWiring: ChatGatewayWiring = {
  topics: {
    inboundMessages: Topics.inboundMessages,
    outboundMessages: Topics.outboundMessages,
    deliveryStatus: Topics.deliveryStatus,
    conversationActivity: Topics.conversationActivity,
    conversationEvents: Topics.conversationEvents,
  },
  consumerGroupId: 'chat-gateway',
  consumerTuning: {},
  clock: systemClock,
};

/** Production names behind `KAFKA_TOPIC_PREFIX` (empty in production). */
export function prefixedWiring(prefix: string): ChatGatewayWiring {
  if (prefix === '') return productionWiring;
  const { topics } = productionWiring;
  return {
    ...productionWiring,
    topics: {
      inboundMessages: prefix + topics.inboundMessages,
      outboundMessages: prefix + topics.outboundMessages,
      deliveryStatus: prefix + topics.deliveryStatus,
      conversationActivity: prefix + topics.conversationActivity,
      conversationEvents: prefix + topics.conversationEvents,
    },
    consumerGroupId: prefix + productionWiring.consumerGroupId,
  };
}
