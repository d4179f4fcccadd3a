import { topicSpecsFor } from '@switchboard/events';
import {
  createKafkaClient,
  type IncomingMessage,
  type KafkaClient,
  type MessageConsumer,
  type MessageProducer,
} from '@switchboard/kafka';
import type { TestContext } from '@switchboard/testing';
import type { ChatGatewayWiring } from './chat-gateway.wiring';
import type { ChatTopics } from './kafka/chat-event.publisher';
import { systemClock } from './shared/clock';

const SINGLE_PARTITION = { partitions: 1, replicationFactor: 1 };

/** Short Kafka timings so that groups form and messages arrive within a test's patience. */
const FAST_CONSUMER = { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, maxWaitTimeMs: 200 };

export interface ChatKafkaKitOptions {
  /** Kafka client id of the test's own producer and observer. */
  clientId: string;
  /** Overrides of the gateway's consumer tuning (defaults: from the beginning, fast, 50 ms backoff). */
  consumerTuning?: Partial<ChatGatewayWiring['consumerTuning']>;
  /**
   * A consumer of the test's own (`<prefix>observer` group, from the beginning) that watches what
   * the gateway writes; started before the kit is returned. `topics` is given to `onMessage` because
   * messages may arrive before the caller has the kit in hand.
   */
  observe?: {
    topics: (keyof ChatTopics)[];
    onMessage: (message: IncomingMessage, topics: ChatTopics) => void;
  };
}

/** The chat gateway's Kafka side of an integration test: its topics, created, and the test's clients. */
export interface ChatKafkaKit {
  /** Topics and consumer group under the context's prefix; pass to `AppModule.forRoot`. */
  wiring: ChatGatewayWiring;
  kafka: KafkaClient;
  producer: MessageProducer;
  /** Stops the observer and producer and deletes the topics (and their dead-letter topics). */
  close(): Promise<void>;
}

/**
 * Wires the gateway to the context's own single-partition topics, creates them with their
 * dead-letter topics, and opens a producer (and, if asked, an observer) for the test.
 */
export async function startChatKafkaKit(
  context: TestContext,
  options: ChatKafkaKitOptions,
): Promise<ChatKafkaKit> {
  const wiring: ChatGatewayWiring = {
    topics: {
      inboundMessages: context.topic('inbound'),
      outboundMessages: context.topic('outbound'),
      deliveryStatus: context.topic('status'),
      conversationActivity: context.topic('activity'),
      conversationEvents: context.topic('conversation-events'),
    },
    consumerGroupId: `${context.topicPrefix}chat-gateway`,
    consumerTuning: {
      fromBeginning: true,
      ...FAST_CONSUMER,
      retryBackoffMs: 50,
      ...options.consumerTuning,
    },
    clock: systemClock,
  };
  const topicNames = topicSpecsFor(Object.values(wiring.topics), SINGLE_PARTITION).map(
    (topic) => topic.name,
  );
  const kafka = createKafkaClient({
    brokers: context.stack.kafkaBrokers.split(','),
    clientId: options.clientId,
  });
  let producer: MessageProducer | undefined;
  let observer: MessageConsumer | undefined;
  const close = async (): Promise<void> => {
    await observer?.stop();
    await producer?.disconnect();
    await kafka.admin().deleteTopics(topicNames);
    await kafka.close();
  };
  try {
    await kafka.admin().ensureTopics(topicSpecsFor(Object.values(wiring.topics), SINGLE_PARTITION));
    producer = kafka.createProducer();
    const observe = options.observe;
    if (observe) {
      observer = kafka.createConsumer({
        groupId: `${context.topicPrefix}observer`,
        topics: observe.topics.map((topic) => wiring.topics[topic]),
        fromBeginning: true,
        ...FAST_CONSUMER,
        handler: async (message) => observe.onMessage(message, wiring.topics),
      });
      await observer.start();
    }
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
  return { wiring, kafka, producer, close };
}
