import { createTestContext } from '@switchboard/testing';
import { closeRedisConnection, openRedisConnection, pingRedis, waitForRedisReady } from './index';

describe('redis connection', () => {
  it('pings, prefixes keys, and closes cleanly', async () => {
    const context = createTestContext('redis-lib');
    const client = openRedisConnection({
      url: context.stack.redisUrl,
      keyPrefix: context.redisKeyPrefix,
    });
    const raw = openRedisConnection({ url: context.stack.redisUrl });
    try {
      await Promise.all([waitForRedisReady(client), waitForRedisReady(raw)]);
      await expect(pingRedis(client)).resolves.toBe(true);
      await client.set('greeting', 'hello', 'EX', 60);
      await expect(raw.get(`${context.redisKeyPrefix}greeting`)).resolves.toBe('hello');
      await client.del('greeting');
    } finally {
      await closeRedisConnection(client);
      await closeRedisConnection(raw);
    }
    await expect(pingRedis(client)).resolves.toBe(false);
  });

  it('reports not ready for an unreachable server without hanging', async () => {
    const client = openRedisConnection({ url: 'redis://127.0.0.1:1' });
    try {
      await expect(pingRedis(client, 200)).resolves.toBe(false);
    } finally {
      await closeRedisConnection(client);
    }
  });
});
