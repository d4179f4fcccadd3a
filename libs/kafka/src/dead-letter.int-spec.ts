import { Registry } from 'prom-client';
import { createTestContext, expectEventually, type TestContext } from '@switchboard/testing';
import {
  DEAD_LETTER_HEADERS,
  KAFKA_METRIC_NAMES,
  createKafkaClient,
  type IncomingMessage,
  type KafkaClient,
  type MessageConsumer,
} from './index';

describe('dead-lettering a message that keeps failing (real Kafka)', () => {
  let context: TestContext;
  let client: KafkaClient;
  const metrics = new Registry();
  const consumers: MessageConsumer[] = [];
  const topics: string[] = [];

  beforeAll(() => {
    context = createTestContext('kafka dead letter');
    client = createKafkaClient({
      brokers: context.stack.kafkaBrokers.split(','),
      clientId: 'kafka-dead-letter-test',
      metrics,
    });
  });

  afterAll(async () => {
    await Promise.all(consumers.map((consumer) => consumer.stop()));
    await client.admin().deleteTopics(topics);
    await client.close();
  }, 30_000);

  async function createTopics(...names: string[]): Promise<void> {
    topics.push(...names);
    await client.admin().ensureTopics(names.map((name) => ({ name, partitions: 1 })));
  }

  async function startConsumer(
    topic: string,
    groupId: string,
    handler: (message: IncomingMessage) => Promise<void>,
    deadLetterTopic?: (topic: string) => string,
  ): Promise<MessageConsumer> {
    const consumer = client.createConsumer({
      groupId,
      topics: [topic],
      handler,
      deadLetterTopic,
      maxAttempts: 3,
      retryBackoffMs: 50,
      fromBeginning: true,
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 500,
      maxWaitTimeMs: 500,
    });
    consumers.push(consumer);
    await consumer.start();
    return consumer;
  }

  function recordInto(into: IncomingMessage[]): (message: IncomingMessage) => Promise<void> {
    return async (message) => {
      into.push(message);
    };
  }

  it('retries in place, dead-letters the original message with its reason, and moves on', async () => {
    const topic = context.topic('inbound');
    const deadLetterTopic = `${topic}.dlq`;
    await createTopics(topic, deadLetterTopic);
    const handled: string[] = [];
    const groupId = `${context.topicPrefix}worker`;
    await startConsumer(topic, groupId, async (message) => {
      const value = message.value?.toString() ?? '';
      if (value === 'poison') {
        handled.push(`poison#attempt`);
        throw new Error('cannot process poison');
      }
      handled.push(value);
    });
    const deadLetters: IncomingMessage[] = [];
    await startConsumer(
      deadLetterTopic,
      `${context.topicPrefix}dlq-reader`,
      recordInto(deadLetters),
    );

    const producer = client.createProducer();
    await producer.send(topic, [
      { key: 'conversation-1', value: 'first' },
      { key: 'conversation-1', value: 'poison', headers: { 'trace-id': 'trace-42' } },
      { key: 'conversation-1', value: 'second' },
      { key: 'conversation-2', value: 'other' },
      { key: 'conversation-1', value: 'third' },
    ]);
    await producer.disconnect();

    await expectEventually(() => expect(deadLetters).toHaveLength(1));
    await expectEventually(() => expect(handled).toHaveLength(7));
    // Three attempts in place, then the partition (and the same key) carries on, in order.
    expect(handled).toEqual([
      'first',
      'poison#attempt',
      'poison#attempt',
      'poison#attempt',
      'second',
      'other',
      'third',
    ]);

    const [deadLetter] = deadLetters;
    expect(deadLetter?.key).toBe('conversation-1');
    expect(deadLetter?.value?.toString()).toBe('poison');
    expect(deadLetter?.headers).toEqual({
      'trace-id': 'trace-42',
      [DEAD_LETTER_HEADERS.reason]: 'cannot process poison',
      [DEAD_LETTER_HEADERS.errorType]: 'Error',
      [DEAD_LETTER_HEADERS.originalTopic]: topic,
      [DEAD_LETTER_HEADERS.originalPartition]: '0',
      [DEAD_LETTER_HEADERS.originalOffset]: '1',
      [DEAD_LETTER_HEADERS.consumerGroup]: groupId,
      [DEAD_LETTER_HEADERS.attempts]: '3',
      [DEAD_LETTER_HEADERS.failedAt]: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
    });

    const exposition = await metrics.metrics();
    expect(exposition).toContain(
      `${KAFKA_METRIC_NAMES.consumed}{topic="${topic}",group="${groupId}",outcome="dead_lettered"} 1`,
    );
    expect(exposition).toContain(
      `${KAFKA_METRIC_NAMES.consumed}{topic="${topic}",group="${groupId}",outcome="ok"} 4`,
    );
  }, 30_000);

  it('does not commit a message whose dead-lettering failed: it is redelivered and dead-lettered later', async () => {
    const topic = context.topic('unlucky');
    const deadLetterTopic = `${topic}.dlq`;
    await createTopics(topic, deadLetterTopic);
    let deadLetterTopicExists = false;
    let poisonAttempts = 0;
    const handled: string[] = [];
    await startConsumer(
      topic,
      `${context.topicPrefix}unlucky-worker`,
      async (message) => {
        const value = message.value?.toString() ?? '';
        if (value === 'poison') {
          poisonAttempts += 1;
          throw new Error('still poison');
        }
        handled.push(value);
      },
      // The first dead-letter attempt targets a topic that does not exist (auto-creation is off).
      (source) => (deadLetterTopicExists ? `${source}.dlq` : `${source}.missing`),
    );
    const deadLetters: IncomingMessage[] = [];
    await startConsumer(
      deadLetterTopic,
      `${context.topicPrefix}unlucky-dlq-reader`,
      recordInto(deadLetters),
    );

    const producer = client.createProducer();
    await producer.send(topic, [
      { key: 'k', value: 'poison' },
      { key: 'k', value: 'after' },
    ]);
    await producer.disconnect();

    // A second round of attempts proves the message came back instead of being skipped.
    await expectEventually(() => expect(poisonAttempts).toBeGreaterThanOrEqual(4), {
      timeoutMs: 20_000,
    });
    expect(handled).toEqual([]);
    deadLetterTopicExists = true;

    await expectEventually(() => expect(handled).toEqual(['after']), { timeoutMs: 20_000 });
    await expectEventually(() => expect(deadLetters).toHaveLength(1));
    expect(deadLetters[0]?.value?.toString()).toBe('poison');
    expect(deadLetters[0]?.headers[DEAD_LETTER_HEADERS.reason]).toBe('still poison');
  }, 45_000);
});
