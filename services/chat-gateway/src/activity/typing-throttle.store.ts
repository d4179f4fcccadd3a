import type { RedisClient } from '@switchboard/redis';

/** At most one event per subject per window, across every gateway replica. */
export interface ActivityThrottle {
  /** True for the first call per subject in a window; false while the window lasts. */
  tryPass(subject: string, windowMs: number): Promise<boolean>;
}

export class RedisActivityThrottle implements ActivityThrottle {
  constructor(private readonly redis: RedisClient) {}

  async tryPass(subject: string, windowMs: number): Promise<boolean> {
    // SET NX PX: one atomic command, so two replicas cannot both pass in one window.
    return (await this.redis.set(`chat:throttle:${subject}`, '1', 'PX', windowMs, 'NX')) === 'OK';
  }
}
