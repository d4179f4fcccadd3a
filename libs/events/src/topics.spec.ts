import { deadLetterTopicOf, Topics, topicSpecsFor } from './index';

describe('topic catalog', () => {
  it('names every topic with its schema version and keeps names unique', () => {
    const names = Object.values(Topics);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^switchboard\.[a-z-]+\.v\d+$/);
  });

  it('pairs every topic with its dead-letter topic', () => {
    expect(
      topicSpecsFor([Topics.inboundMessages], { partitions: 6, replicationFactor: 1 }),
    ).toEqual([
      { name: 'switchboard.inbound-messages.v1', partitions: 6, replicationFactor: 1 },
      { name: deadLetterTopicOf(Topics.inboundMessages), partitions: 6, replicationFactor: 1 },
    ]);
    expect(deadLetterTopicOf('a.v1')).toBe('a.v1.dlq');
  });
});
