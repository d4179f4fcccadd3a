import { Registry } from 'prom-client';
import { createTestContext, expectEventually, type TestContext } from '@switchboard/testing';
import {
  KAFKA_METRIC_NAMES,
  createKafkaClient,
  type IncomingMessage,
  type KafkaClient,
  type MessageConsumer,
} from './index';

const KEY_COUNT = 200;
const SEQUENCES_PER_KEY = 50;
const TOTAL = KEY_COUNT * SEQUENCES_PER_KEY;

interface Delivery {
  consumer: 'A' | 'B';
  key: string;
  seq: number;
  partition: number;
}

describe('per-key order across a consumer group (real Kafka)', () => {
  let context: TestContext;
  let client: KafkaClient;
  let topic: string;
  const metrics = new Registry();
  const consumers: MessageConsumer[] = [];
  const deliveries: Delivery[] = [];

  beforeAll(async () => {
    context = createTestContext('kafka ordering');
    topic = context.topic('ordered');
    client = createKafkaClient({
      brokers: context.stack.kafkaBrokers.split(','),
      clientId: context.suite.replace(/\s+/g, '-'),
      metrics,
    });
    await client.admin().ensureTopics([{ name: topic, partitions: 3 }]);
  }, 30_000);

  afterAll(async () => {
    await Promise.all(consumers.map((consumer) => consumer.stop()));
    await client.admin().deleteTopics([topic]);
    await client.close();
  }, 30_000);

  function consumerNamed(name: Delivery['consumer']): MessageConsumer {
    const consumer = client.createConsumer({
      groupId: `${context.topicPrefix}group`,
      topics: [topic],
      fromBeginning: true,
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 500,
      maxWaitTimeMs: 500,
      handler: async (message: IncomingMessage) => {
        const { key, seq } = JSON.parse(message.value?.toString() ?? '{}') as {
          key: string;
          seq: number;
        };
        expect(message.key).toBe(key);
        deliveries.push({ consumer: name, key, seq, partition: message.partition });
      },
    });
    consumers.push(consumer);
    return consumer;
  }

  it('delivers 10,000 keyed messages to two consumers without loss and in per-key order', async () => {
    const consumerA = consumerNamed('A');
    const consumerB = consumerNamed('B');
    await consumerA.start();
    await consumerB.start();
    // B's join makes A rejoin; produce only once the group has settled on a split of all partitions.
    await expectEventually(() => {
      const a = consumerA.assignedPartitions()[topic] ?? [];
      const b = consumerB.assignedPartitions()[topic] ?? [];
      expect(a.length).toBeGreaterThan(0);
      expect(b.length).toBeGreaterThan(0);
      expect([...a, ...b].sort()).toEqual([0, 1, 2]);
    });
    expect(client.health().connected).toBe(true);

    const producer = client.createProducer();
    const keys = Array.from({ length: KEY_COUNT }, (_, index) => `customer-${index}`);
    for (let seq = 0; seq < SEQUENCES_PER_KEY; seq += 1) {
      await producer.send(
        topic,
        keys.map((key) => ({ key, value: JSON.stringify({ key, seq }) })),
      );
    }
    await producer.disconnect();

    const distinct = (): Set<string> => new Set(deliveries.map(({ key, seq }) => `${key}#${seq}`));
    await expectEventually(() => expect(distinct().size).toBe(TOTAL), { timeoutMs: 40_000 });

    // First deliveries, in the order they happened, must list every key's sequence in order.
    const seen = new Set<string>();
    const firstSeqsByKey = new Map<string, number[]>();
    const lastFreshSeqByConsumerAndKey = new Map<string, number>();
    const partitionByKey = new Map<string, number>();
    let redeliveries = 0;
    for (const { consumer, key, seq, partition } of deliveries) {
      expect(partitionByKey.get(key) ?? partition).toBe(partition);
      partitionByKey.set(key, partition);
      const id = `${key}#${seq}`;
      if (seen.has(id)) {
        redeliveries += 1; // at-least-once: tolerated, but never out of order among fresh ones
        continue;
      }
      seen.add(id);
      firstSeqsByKey.set(key, [...(firstSeqsByKey.get(key) ?? []), seq]);
      const viewKey = `${consumer}/${key}`;
      expect(seq).toBeGreaterThan(lastFreshSeqByConsumerAndKey.get(viewKey) ?? -1);
      lastFreshSeqByConsumerAndKey.set(viewKey, seq);
    }
    const expectedSeqs = Array.from({ length: SEQUENCES_PER_KEY }, (_, seq) => seq);
    expect(firstSeqsByKey.size).toBe(KEY_COUNT);
    for (const key of keys) {
      expect(firstSeqsByKey.get(key)).toEqual(expectedSeqs);
    }
    expect(deliveries.some((delivery) => delivery.consumer === 'A')).toBe(true);
    expect(deliveries.some((delivery) => delivery.consumer === 'B')).toBe(true);
    expect(redeliveries).toBeLessThan(TOTAL / 10);

    const exposition = await metrics.metrics();
    expect(exposition).toContain(`${KAFKA_METRIC_NAMES.produced}{topic="${topic}"} ${TOTAL}`);
    expect(exposition).toContain(
      `${KAFKA_METRIC_NAMES.consumed}{topic="${topic}",group="${context.topicPrefix}group",outcome="ok"} ${deliveries.length}`,
    );
  }, 60_000);
});
