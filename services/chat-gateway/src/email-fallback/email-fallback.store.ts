import type { RedisClient } from '@switchboard/redis';

/** One agent reply that falls back to email unless the visitor acknowledges it in time. */
export interface FallbackEntry {
  tenantId: string;
  threadKey: string;
  /** The chat reply's message id. */
  messageId: string;
}

/**
 * Due dates of email fallbacks, shared by every replica. A due entry is claimed atomically
 * with a lease: one replica gets it; if that replica dies before completing it, the lease
 * expires and another replica takes it over. A per-reply "sent" marker, written once Kafka took
 * the email, keeps a retried entry from producing it again.
 */
export interface EmailFallbackSchedule {
  /** Idempotent: a redelivered reply keeps its first due date. */
  schedule(entry: FallbackEntry, dueAt: Date): Promise<void>;
  /** Entries due at `now`, each leased to the caller until `now + leaseMs`. */
  claimDue(now: Date, leaseMs: number, limit: number): Promise<FallbackEntry[]>;
  complete(entry: FallbackEntry): Promise<void>;
  isSent(entry: FallbackEntry): Promise<boolean>;
  markSent(entry: FallbackEntry): Promise<void>;
}

// Atomic, so two replicas scanning at the same moment never claim the same entry.
const CLAIM_SCRIPT = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, member in ipairs(due) do redis.call('ZADD', KEYS[1], 'XX', ARGV[2], member) end
return due
`;

const DUE_KEY = 'chat:email-fallback:due';

export class RedisEmailFallbackSchedule implements EmailFallbackSchedule {
  constructor(
    private readonly redis: RedisClient,
    private readonly ttlSeconds: number,
  ) {}

  async schedule(entry: FallbackEntry, dueAt: Date): Promise<void> {
    await this.redis.zadd(DUE_KEY, 'NX', dueAt.getTime(), member(entry));
  }

  async claimDue(now: Date, leaseMs: number, limit: number): Promise<FallbackEntry[]> {
    const claimed = (await this.redis.eval(
      CLAIM_SCRIPT,
      1,
      DUE_KEY,
      String(now.getTime()),
      String(now.getTime() + leaseMs),
      String(limit),
    )) as string[];
    return claimed.flatMap((value) => {
      const parsed = parseMember(value);
      return parsed ? [parsed] : [];
    });
  }

  async complete(entry: FallbackEntry): Promise<void> {
    await this.redis.zrem(DUE_KEY, member(entry));
  }

  async isSent(entry: FallbackEntry): Promise<boolean> {
    return (await this.redis.exists(sentKey(entry))) === 1;
  }

  async markSent(entry: FallbackEntry): Promise<void> {
    await this.redis.set(sentKey(entry), '1', 'EX', this.ttlSeconds);
  }
}

/** Deterministic, so scheduling a redelivered reply again finds the same member. */
const member = (entry: FallbackEntry): string =>
  JSON.stringify([entry.tenantId, entry.threadKey, entry.messageId]);

function parseMember(value: string): FallbackEntry | undefined {
  const parsed: unknown = JSON.parse(value);
  if (!Array.isArray(parsed) || parsed.length !== 3) return undefined;
  const [tenantId, threadKey, messageId] = parsed as unknown[];
  if (typeof tenantId !== 'string' || typeof threadKey !== 'string') return undefined;
  if (typeof messageId !== 'string') return undefined;
  return { tenantId, threadKey, messageId };
}

const sentKey = (entry: FallbackEntry): string =>
  `chat:email-fallback:sent:${entry.tenantId}:${entry.threadKey}:${entry.messageId}`;
