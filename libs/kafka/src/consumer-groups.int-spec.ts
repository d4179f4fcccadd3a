import { createTestContext } from '@switchboard/testing';
import { createKafkaClient, KafkaRejectedError } from './index';

describe('consumer group clean-up (real Kafka)', () => {
  const context = createTestContext('kafka consumer groups');
  const client = createKafkaClient({
    brokers: context.stack.kafkaBrokers.split(','),
    clientId: 'kafka-consumer-groups-test',
  });
  const topic = context.topic('groups');

  afterAll(async () => {
    await client.admin().deleteTopics([topic]);
    await client.close();
  }, 30_000);

  it('lists a group, refuses to delete it while a member is in, deletes it once stopped', async () => {
    await client.admin().ensureTopics([{ name: topic, partitions: 1 }]);
    const groupId = `${context.topicPrefix}per-process`;
    const consumer = client.createConsumer({
      groupId,
      topics: [topic],
      handler: async () => undefined,
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 500,
    });
    await consumer.start();
    try {
      expect(await client.admin().listConsumerGroups()).toContain(groupId);
      await expect(client.admin().deleteConsumerGroups([groupId])).rejects.toBeInstanceOf(
        KafkaRejectedError,
      );
    } finally {
      await consumer.stop();
    }
    // Unknown ids are ignored, so a repeated clean-up is harmless.
    await client.admin().deleteConsumerGroups([groupId, `${context.topicPrefix}never-existed`]);
    expect(await client.admin().listConsumerGroups()).not.toContain(groupId);
    await client.admin().deleteConsumerGroups([groupId]);
  }, 60_000);
});
