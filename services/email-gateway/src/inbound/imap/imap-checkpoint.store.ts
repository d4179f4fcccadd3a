import type { RedisClient } from '@switchboard/redis';
import type { ImapCheckpoint, ImapCheckpointStore } from './imap-mailbox';

/** Redis, beside the thread index: one small hash per tenant account, no expiry (it is state). */
export class RedisImapCheckpointStore implements ImapCheckpointStore {
  constructor(private readonly redis: RedisClient) {}

  async get(tenantId: string, accountId: string): Promise<ImapCheckpoint | undefined> {
    const stored = await this.redis.hgetall(this.key(tenantId, accountId));
    if (stored.uidValidity === undefined || stored.lastUid === undefined) return undefined;
    return { uidValidity: stored.uidValidity, lastUid: Number(stored.lastUid) };
  }

  async set(tenantId: string, accountId: string, checkpoint: ImapCheckpoint): Promise<void> {
    await this.redis.hset(this.key(tenantId, accountId), {
      uidValidity: checkpoint.uidValidity,
      lastUid: String(checkpoint.lastUid),
    });
  }

  private key(tenantId: string, accountId: string): string {
    return `email:imap:checkpoint:${tenantId}:${accountId}`;
  }
}

/** For unit tests. */
export class InMemoryImapCheckpointStore implements ImapCheckpointStore {
  readonly checkpoints = new Map<string, ImapCheckpoint>();

  get(tenantId: string, accountId: string): Promise<ImapCheckpoint | undefined> {
    return Promise.resolve(this.checkpoints.get(`${tenantId}:${accountId}`));
  }

  set(tenantId: string, accountId: string, checkpoint: ImapCheckpoint): Promise<void> {
    this.checkpoints.set(`${tenantId}:${accountId}`, { ...checkpoint });
    return Promise.resolve();
  }
}
