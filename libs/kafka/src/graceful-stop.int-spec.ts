import { setTimeout as sleep } from 'node:timers/promises';
import { createTestContext, expectEventually, type TestContext } from '@switchboard/testing';
import {
  createKafkaClient,
  type IncomingMessage,
  type KafkaClient,
  type MessageConsumer,
} from './index';

describe('graceful consumer stop (real Kafka)', () => {
  let context: TestContext;
  let client: KafkaClient;
  const consumers: MessageConsumer[] = [];
  const topics: string[] = [];

  beforeAll(() => {
    context = createTestContext('kafka graceful stop');
    client = createKafkaClient({
      brokers: context.stack.kafkaBrokers.split(','),
      clientId: 'kafka-graceful-stop-test',
    });
  });

  afterAll(async () => {
    await Promise.all(consumers.map((consumer) => consumer.stop()));
    await client.admin().deleteTopics(topics);
    await client.close();
  }, 30_000);

  function consumerFor(
    topic: string,
    groupId: string,
    handler: (message: IncomingMessage) => Promise<void>,
    retryBackoffMs = 50,
  ): MessageConsumer {
    const consumer = client.createConsumer({
      groupId,
      topics: [topic],
      handler,
      fromBeginning: true,
      retryBackoffMs,
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 500,
      maxWaitTimeMs: 500,
    });
    consumers.push(consumer);
    return consumer;
  }

  async function produce(topic: string, values: string[]): Promise<void> {
    const producer = client.createProducer();
    await producer.send(
      topic,
      values.map((value) => ({ key: 'same-key', value })),
    );
    await producer.disconnect();
  }

  it('lets the in-flight handler finish and commits its offset', async () => {
    const topic = context.topic('slow');
    topics.push(topic);
    await client.admin().ensureTopics([{ name: topic, partitions: 1 }]);
    const groupId = `${context.topicPrefix}slow-group`;

    let slowStarted = false;
    let slowFinished = false;
    const first = consumerFor(topic, groupId, async () => {
      slowStarted = true;
      await sleep(2_000);
      slowFinished = true;
    });
    await first.start();
    await produce(topic, ['slow']);
    await expectEventually(() => expect(slowStarted).toBe(true));

    const stopping = first.stop();
    expect(slowFinished).toBe(false);
    await stopping;
    expect(slowFinished).toBe(true);
    expect(first.isConnected()).toBe(false);

    const seenBySuccessor: string[] = [];
    const successor = consumerFor(topic, groupId, async (message) => {
      seenBySuccessor.push(message.value?.toString() ?? '');
    });
    await successor.start();
    await produce(topic, ['after']);
    // Had the offset of "slow" not been committed, the successor would see it first.
    await expectEventually(() => expect(seenBySuccessor).toEqual(['after']));
    await successor.stop();
  }, 30_000);

  it('abandons a message waiting for a retry without committing it, so it is redelivered', async () => {
    const topic = context.topic('flaky');
    topics.push(topic);
    await client.admin().ensureTopics([{ name: topic, partitions: 1 }]);
    const groupId = `${context.topicPrefix}flaky-group`;

    let failures = 0;
    const first = consumerFor(
      topic,
      groupId,
      async () => {
        failures += 1;
        throw new Error('transient');
      },
      60_000,
    );
    await first.start();
    await produce(topic, ['flaky']);
    await expectEventually(() => expect(failures).toBe(1));

    const startedStopping = Date.now();
    await first.stop();
    expect(Date.now() - startedStopping).toBeLessThan(5_000);

    const redelivered: string[] = [];
    const successor = consumerFor(topic, groupId, async (message) => {
      redelivered.push(message.value?.toString() ?? '');
    });
    await successor.start();
    await expectEventually(() => expect(redelivered).toEqual(['flaky']));
    await successor.stop();
  }, 30_000);
});
