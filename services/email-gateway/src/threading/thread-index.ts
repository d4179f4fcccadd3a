import type { RedisClient } from '@switchboard/redis';

/**
 * What the gateway remembers per tenant to thread mail that lacks our token: the thread key of
 * every Message-ID it has seen or sent, the thread of every token ref it handed out, and the
 * customer addresses of each thread (so a sender failing DMARC cannot join someone else's).
 */
export interface ThreadIndex {
  rememberMessage(tenantId: string, messageId: string, threadKey: string): Promise<void>;
  /** The latest Message-IDs remembered for a thread, oldest first (for outbound References). */
  threadMessageIds(tenantId: string, threadKey: string): Promise<string[]>;
  /** The thread of the first of these ids that is known, in the order given. */
  findByMessageIds(tenantId: string, messageIds: readonly string[]): Promise<string | undefined>;
  rememberThreadRef(tenantId: string, ref: string, threadKey: string): Promise<void>;
  findByThreadRef(tenantId: string, ref: string): Promise<string | undefined>;
  addParticipants(tenantId: string, threadKey: string, addresses: readonly string[]): Promise<void>;
  isParticipant(tenantId: string, threadKey: string, address: string): Promise<boolean>;
}

/** Long enough for customers who answer months later; Redis evicts nothing else of ours. */
const RETENTION_SECONDS = 400 * 24 * 3600;
/** References beyond this add bytes but no threading: clients thread by the root and the parent. */
const THREAD_MESSAGE_IDS_KEPT = 20;

/**
 * Redis, because the gateway already needs it for the outbound idempotency marker, lookups are
 * single-key GETs on the hot path of every SMTP transaction, and expiry is native (FerretDB has
 * no TTL indexes). Keys carry the tenant, so no lookup can cross tenants.
 */
export class RedisThreadIndex implements ThreadIndex {
  constructor(private readonly redis: RedisClient) {}

  async rememberMessage(tenantId: string, messageId: string, threadKey: string): Promise<void> {
    const listKey = this.threadMessagesKey(tenantId, threadKey);
    await this.redis
      .multi()
      .set(this.messageKey(tenantId, messageId), threadKey, 'EX', RETENTION_SECONDS)
      .lrem(listKey, 0, messageId)
      .rpush(listKey, messageId)
      .ltrim(listKey, -THREAD_MESSAGE_IDS_KEPT, -1)
      .expire(listKey, RETENTION_SECONDS)
      .exec();
  }

  async threadMessageIds(tenantId: string, threadKey: string): Promise<string[]> {
    return this.redis.lrange(this.threadMessagesKey(tenantId, threadKey), 0, -1);
  }

  async findByMessageIds(
    tenantId: string,
    messageIds: readonly string[],
  ): Promise<string | undefined> {
    const ids = messageIds.slice(0, 50);
    if (ids.length === 0) return undefined;
    const found = await this.redis.mget(ids.map((id) => this.messageKey(tenantId, id)));
    return found.find((value): value is string => typeof value === 'string');
  }

  async rememberThreadRef(tenantId: string, ref: string, threadKey: string): Promise<void> {
    await this.redis.set(`email:ref:${tenantId}:${ref}`, threadKey, 'EX', RETENTION_SECONDS);
  }

  async findByThreadRef(tenantId: string, ref: string): Promise<string | undefined> {
    return (await this.redis.get(`email:ref:${tenantId}:${ref}`)) ?? undefined;
  }

  async addParticipants(
    tenantId: string,
    threadKey: string,
    addresses: readonly string[],
  ): Promise<void> {
    if (addresses.length === 0) return;
    const key = this.participantsKey(tenantId, threadKey);
    await this.redis
      .multi()
      .sadd(key, ...addresses.map((address) => address.toLowerCase()))
      .expire(key, RETENTION_SECONDS)
      .exec();
  }

  async isParticipant(tenantId: string, threadKey: string, address: string): Promise<boolean> {
    return (
      (await this.redis.sismember(
        this.participantsKey(tenantId, threadKey),
        address.toLowerCase(),
      )) === 1
    );
  }

  private messageKey(tenantId: string, messageId: string): string {
    return `email:msg:${tenantId}:${messageId.toLowerCase()}`;
  }

  private participantsKey(tenantId: string, threadKey: string): string {
    return `email:participants:${tenantId}:${threadKey}`;
  }

  private threadMessagesKey(tenantId: string, threadKey: string): string {
    return `email:thread-msgs:${tenantId}:${threadKey}`;
  }
}

/** For unit tests and the conformance run: the same contract in memory. */
export class InMemoryThreadIndex implements ThreadIndex {
  private readonly values = new Map<string, string>();
  private readonly participants = new Map<string, Set<string>>();
  private readonly threadMessages = new Map<string, string[]>();

  rememberMessage(tenantId: string, messageId: string, threadKey: string): Promise<void> {
    this.values.set(`msg:${tenantId}:${messageId.toLowerCase()}`, threadKey);
    const key = `${tenantId}:${threadKey}`;
    const ids = (this.threadMessages.get(key) ?? []).filter((id) => id !== messageId);
    this.threadMessages.set(key, [...ids, messageId].slice(-THREAD_MESSAGE_IDS_KEPT));
    return Promise.resolve();
  }

  threadMessageIds(tenantId: string, threadKey: string): Promise<string[]> {
    return Promise.resolve([...(this.threadMessages.get(`${tenantId}:${threadKey}`) ?? [])]);
  }

  findByMessageIds(tenantId: string, messageIds: readonly string[]): Promise<string | undefined> {
    for (const id of messageIds) {
      const found = this.values.get(`msg:${tenantId}:${id.toLowerCase()}`);
      if (found !== undefined) return Promise.resolve(found);
    }
    return Promise.resolve(undefined);
  }

  rememberThreadRef(tenantId: string, ref: string, threadKey: string): Promise<void> {
    this.values.set(`ref:${tenantId}:${ref}`, threadKey);
    return Promise.resolve();
  }

  findByThreadRef(tenantId: string, ref: string): Promise<string | undefined> {
    return Promise.resolve(this.values.get(`ref:${tenantId}:${ref}`));
  }

  addParticipants(
    tenantId: string,
    threadKey: string,
    addresses: readonly string[],
  ): Promise<void> {
    const key = `${tenantId}:${threadKey}`;
    const set = this.participants.get(key) ?? new Set<string>();
    for (const address of addresses) set.add(address.toLowerCase());
    this.participants.set(key, set);
    return Promise.resolve();
  }

  isParticipant(tenantId: string, threadKey: string, address: string): Promise<boolean> {
    return Promise.resolve(
      this.participants.get(`${tenantId}:${threadKey}`)?.has(address.toLowerCase()) ?? false,
    );
  }
}
