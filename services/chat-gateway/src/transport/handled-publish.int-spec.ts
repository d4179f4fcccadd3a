import {
  closeRedisConnection,
  openRedisConnection,
  type RedisClient,
  waitForRedisReady,
} from '@switchboard/redis';
import { createTestContext } from '@switchboard/testing';
import { handlePublishFailures } from './handled-publish';

/**
 * On the real Redis: a PUBLISH that the connection can no longer answer (issued after QUIT, or
 * once closed) reaches the failure handler, the way a room broadcast during shutdown or a Redis
 * outage would. Without the handler these rejections are unhandled and end the process.
 */
describe('publish failures of the socket adapter connection', () => {
  const context = createTestContext('chat handled publish');
  const clients: RedisClient[] = [];

  const open = async (): Promise<RedisClient> => {
    const client = openRedisConnection({ url: context.stack.redisUrl });
    clients.push(client);
    await waitForRedisReady(client);
    return client;
  };

  afterAll(async () => {
    await Promise.all(clients.map((client) => closeRedisConnection(client)));
  });

  it('passes a working publish through untouched', async () => {
    const failures: unknown[] = [];
    const client = handlePublishFailures(await open(), (error) => failures.push(error));
    await expect(client.publish(`${context.redisKeyPrefix}room`, 'hello')).resolves.toBe(0);
    expect(failures).toEqual([]);
  });

  it('reports a publish written after QUIT, which Redis never answers', async () => {
    const failures: unknown[] = [];
    const client = handlePublishFailures(await open(), (error) => failures.push(error));
    const quitting = client.quit();
    const published = client.publish(`${context.redisKeyPrefix}room`, 'too late');
    await expect(published).rejects.toThrow('Connection is closed');
    await quitting;
    expect(failures).toHaveLength(1);
    expect(String(failures[0])).toContain('Connection is closed');
  });

  it('reports a publish on a closed connection', async () => {
    const failures: unknown[] = [];
    const client = handlePublishFailures(await open(), (error) => failures.push(error));
    await closeRedisConnection(client);
    await expect(client.publish(`${context.redisKeyPrefix}room`, 'closed')).rejects.toThrow(
      'Connection is closed',
    );
    await Promise.resolve();
    expect(failures).toHaveLength(1);
  });
});
