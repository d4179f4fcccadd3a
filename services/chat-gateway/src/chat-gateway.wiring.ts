import { Topics } from '@switchboard/events';
import type { ConsumerOptions } from '@switchboard/kafka';
import type { ChatTopics } from './kafka/chat-event.publisher';
import { type Clock, systemClock } from './shared/clock';

/** What differs between production and a test run: topic names, consumer group and timings. */
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
    },
    consumerGroupId: prefix + productionWiring.consumerGroupId,
  };
}
