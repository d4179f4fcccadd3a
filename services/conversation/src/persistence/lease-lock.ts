import { setTimeout as sleep } from 'node:timers/promises';
import { UnavailableError } from '@switchboard/grpc-kit';
import { isDuplicateKeyError } from '@switchboard/mongo';
import { randomId } from '../shared/ids';
import { KeyedMutex } from '../shared/keyed-mutex';
import type { ConversationModels } from './conversation.schemas';

export interface LeaseLockOptions {
  /** How long a lease holds if its holder dies before releasing it. */
  leaseMs: number;
  /** How long a caller waits for a held lease before giving up (UNAVAILABLE: retry). */
  waitMs: number;
  /** Between attempts while another replica holds the lease. */
  pollMs: number;
}

const DEFAULTS: LeaseLockOptions = { leaseMs: 30_000, waitMs: 10_000, pollMs: 25 };

/**
 * Runs tasks one at a time per key across every replica sharing the database: a lease document
 * inserted under a unique index, deleted when the task ends, taken over once expired (a crashed
 * holder). Inside one process a KeyedMutex queues callers first, so they do not poll each other.
 *
 * For rare, short critical sections (contact merges), not for hot paths: a waiter polls. A task
 * that outlives `leaseMs` can overlap the next holder; the lease is far longer than any merge.
 */
export class LeaseLock {
  private readonly local = new KeyedMutex();
  private readonly options: LeaseLockOptions;

  constructor(
    private readonly leases: ConversationModels['leases'],
    options: Partial<LeaseLockOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    return this.local.run(key, async () => {
      const leaseId = await this.acquire(key);
      try {
        return await task();
      } finally {
        await this.leases
          .deleteOne({ _id: leaseId })
          .exec()
          .catch(() => undefined); // it expires on its own
      }
    });
  }

  private async acquire(key: string): Promise<string> {
    const giveUpAt = Date.now() + this.options.waitMs;
    for (;;) {
      const leaseId = randomId('lease');
      try {
        await this.leases.collection.insertOne({
          _id: leaseId as never,
          key,
          expiresAt: new Date(Date.now() + this.options.leaseMs),
        });
        return leaseId;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
      // Held by another replica: take it over only once its holder is past its lease.
      await this.leases.deleteMany({ key, expiresAt: { $lt: new Date() } }).exec();
      if (Date.now() >= giveUpAt) {
        throw new UnavailableError(`${key} is busy with another change; retry`);
      }
      await sleep(this.options.pollMs);
    }
  }
}
