import type { RedisClient } from '@switchboard/redis';
import { orUnavailable } from './state-unavailable.error';

/**
 * Remembers which platform deliveries were already produced, across replicas and restarts
 * (platforms redeliver for days). Callers mark a key only after its produce succeeded, so a
 * crash in between yields a duplicate downstream (deduped there by channel + external id),
 * never a loss.
 */
export interface SeenDeliveryStore {
  /** For each key, whether it was marked before. */
  wereSeen(keys: readonly string[]): Promise<boolean[]>;
  markSeen(keys: readonly string[]): Promise<void>;
}

export class RedisSeenDeliveryStore implements SeenDeliveryStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly ttlSeconds: number,
  ) {}

  async wereSeen(keys: readonly string[]): Promise<boolean[]> {
    if (keys.length === 0) return [];
    const values = await orUnavailable('dedupe lookup', () =>
      this.redis.mget(keys.map((key) => seenKey(key))),
    );
    return values.map((value) => value !== null);
  }

  async markSeen(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await orUnavailable('dedupe mark', async () => {
      const pipeline = this.redis.pipeline();
      for (const key of keys) pipeline.set(seenKey(key), '1', 'EX', this.ttlSeconds);
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([error]) => error !== null);
      if (failed?.[0]) throw failed[0];
    });
  }
}

function seenKey(key: string): string {
  return `social:seen:${key}`;
}
