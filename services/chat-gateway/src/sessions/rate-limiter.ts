import type { RedisClient } from '@switchboard/redis';

/** Counts events per subject in fixed one-minute windows, shared by every gateway replica. */
export interface RateLimiter {
  /** Counts one event; true while the subject stays within `limit` events this minute. */
  allow(subject: string, limit: number): Promise<boolean>;
}

const WINDOW_SECONDS = 60;

export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly redis: RedisClient,
    private readonly now: () => number = Date.now,
  ) {}

  async allow(subject: string, limit: number): Promise<boolean> {
    const window = Math.floor(this.now() / 1000 / WINDOW_SECONDS);
    const key = `chat:rate:${subject}:${window}`;
    // INCR and EXPIRE in one round trip; the key outlives its window only briefly.
    const results = await this.redis
      .multi()
      .incr(key)
      .expire(key, WINDOW_SECONDS * 2)
      .exec();
    const count = results?.[0]?.[1];
    return typeof count === 'number' && count <= limit;
  }
}
