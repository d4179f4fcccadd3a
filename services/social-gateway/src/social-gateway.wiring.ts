import { Topics } from '@switchboard/events';
import type { ConsumerOptions } from '@switchboard/kafka';
import type { SocialTopics } from './kafka/social-event.publisher';
import type { Clock } from './shared/clock';
import { systemClock } from './shared/clock';

/**
 * What differs between production and a test run of the same module: topic names (tests use
 * their own), the consumer group, consumer timings and the clock.
 */
export interface SocialGatewayWiring {
  topics: SocialTopics;
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

export const productionWiring: SocialGatewayWiring = {
  topics: {
    inboundMessages: Topics.inboundMessages,
    outboundMessages: Topics.outboundMessages,
    deliveryStatus: Topics.deliveryStatus,
  },
  consumerGroupId: 'social-gateway',
  consumerTuning: {},
  clock: systemClock,
};

/** Production names behind `KAFKA_TOPIC_PREFIX` (empty in production). */
export function prefixedWiring(prefix: string): SocialGatewayWiring {
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
