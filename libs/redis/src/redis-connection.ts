import { Redis } from 'ioredis';

export interface RedisConnectionOptions {
  url: string;
  /** Prepended to every key, so tenants' deployments or test suites can share one Redis. */
  keyPrefix?: string;
  connectionName?: string;
}

export type RedisClient = Redis;

/**
 * Opens an ioredis client that reconnects forever with a capped backoff. Commands issued while
 * disconnected fail fast instead of queueing without bound, so callers can answer 503.
 */
export function openRedisConnection(options: RedisConnectionOptions): RedisClient {
  const client = new Redis(options.url, {
    keyPrefix: options.keyPrefix,
    connectionName: options.connectionName,
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  // Errors surface through readiness and failed commands; without a listener they'd crash.
  client.on('error', () => undefined);
  return client;
}

export async function pingRedis(client: RedisClient, timeoutMs = 1_000): Promise<boolean> {
  if (client.status !== 'ready') return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const pinged = client
      .ping()
      .then((reply) => reply === 'PONG')
      .catch(() => false);
    return await Promise.race([pinged, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** Closes the client, waiting for pending replies, or drops it if the server is gone. */
export async function closeRedisConnection(client: RedisClient): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  await client.quit().catch(() => client.disconnect());
}

/** Resolves once the client is connected and ready for commands, or rejects after the timeout. */
export async function waitForRedisReady(client: RedisClient, timeoutMs = 5_000): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new Error(`redis not ready within ${timeoutMs} ms (status ${client.status})`));
    }, timeoutMs);
    function onReady(): void {
      clearTimeout(timer);
      resolve();
    }
    client.once('ready', onReady);
  });
}
