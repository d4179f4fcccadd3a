import type { RedisClient } from '@switchboard/redis';

/** An agent reply waiting for the visitor's socket to acknowledge it. */
export interface PendingReply {
  messageId: string;
  conversationId: string;
  authorAgentId: string;
  text: string;
  createdAt: string;
}

/**
 * Per-thread store of agent replies the visitor has not acknowledged yet, in arrival order.
 * Replies stay until acked, so a visitor who is away (or whose socket broke mid-send) gets them
 * on return; an acknowledged reply leaves a marker so a Kafka redelivery never queues it again.
 */
export interface ReplyMailbox {
  /** False when the reply is already queued or was delivered before. */
  enqueue(tenantId: string, threadKey: string, reply: PendingReply): Promise<boolean>;
  pending(tenantId: string, threadKey: string): Promise<PendingReply[]>;
  find(tenantId: string, threadKey: string, messageId: string): Promise<PendingReply | undefined>;
  /** Removes an acknowledged reply and remembers its conversation; false if it was not pending. */
  markDelivered(tenantId: string, threadKey: string, reply: PendingReply): Promise<boolean>;
  /** The conversation of a delivered reply, for read receipts. */
  deliveredConversation(
    tenantId: string,
    threadKey: string,
    messageId: string,
  ): Promise<string | undefined>;
  isRead(tenantId: string, threadKey: string, messageId: string): Promise<boolean>;
  markRead(tenantId: string, threadKey: string, messageId: string): Promise<void>;
  /** Replies pending in all mailboxes (a mailbox that expires unacknowledged is not subtracted). */
  pendingCount(): Promise<number>;
}

// Atomic, so two replicas handling a redelivered reply at once cannot queue it twice.
const ENQUEUE_SCRIPT = `
if redis.call('EXISTS', KEYS[4]) == 1 then return 0 end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 0 end
local seq = redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[1], seq, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ARGV[3]) end
redis.call('INCR', KEYS[5])
return 1
`;

const DELIVER_SCRIPT = `
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('SET', KEYS[3], ARGV[2], 'EX', ARGV[3])
if removed == 1 then redis.call('DECR', KEYS[4]) end
return removed
`;

export class RedisReplyMailbox implements ReplyMailbox {
  constructor(
    private readonly redis: RedisClient,
    private readonly ttlSeconds: number,
  ) {}

  async enqueue(tenantId: string, threadKey: string, reply: PendingReply): Promise<boolean> {
    const keys = mailboxKeys(tenantId, threadKey);
    const added = await this.redis.eval(
      ENQUEUE_SCRIPT,
      5,
      keys.order,
      keys.bodies,
      keys.sequence,
      deliveredKey(tenantId, threadKey, reply.messageId),
      PENDING_COUNT_KEY,
      reply.messageId,
      JSON.stringify(reply),
      String(this.ttlSeconds),
    );
    return added === 1;
  }

  async pending(tenantId: string, threadKey: string): Promise<PendingReply[]> {
    const keys = mailboxKeys(tenantId, threadKey);
    const ids = await this.redis.zrange(keys.order, 0, -1);
    if (ids.length === 0) return [];
    const bodies = await this.redis.hmget(keys.bodies, ...ids);
    return bodies.flatMap((body) => (body === null ? [] : [JSON.parse(body) as PendingReply]));
  }

  async find(
    tenantId: string,
    threadKey: string,
    messageId: string,
  ): Promise<PendingReply | undefined> {
    const body = await this.redis.hget(mailboxKeys(tenantId, threadKey).bodies, messageId);
    return body === null ? undefined : (JSON.parse(body) as PendingReply);
  }

  async markDelivered(tenantId: string, threadKey: string, reply: PendingReply): Promise<boolean> {
    const keys = mailboxKeys(tenantId, threadKey);
    const removed = await this.redis.eval(
      DELIVER_SCRIPT,
      4,
      keys.order,
      keys.bodies,
      deliveredKey(tenantId, threadKey, reply.messageId),
      PENDING_COUNT_KEY,
      reply.messageId,
      reply.conversationId,
      String(this.ttlSeconds),
    );
    return removed === 1;
  }

  async deliveredConversation(
    tenantId: string,
    threadKey: string,
    messageId: string,
  ): Promise<string | undefined> {
    return (await this.redis.get(deliveredKey(tenantId, threadKey, messageId))) ?? undefined;
  }

  async isRead(tenantId: string, threadKey: string, messageId: string): Promise<boolean> {
    return (await this.redis.exists(readKey(tenantId, threadKey, messageId))) === 1;
  }

  async markRead(tenantId: string, threadKey: string, messageId: string): Promise<void> {
    await this.redis.set(readKey(tenantId, threadKey, messageId), '1', 'EX', this.ttlSeconds);
  }

  async pendingCount(): Promise<number> {
    return Math.max(0, Number((await this.redis.get(PENDING_COUNT_KEY)) ?? 0));
  }
}

/** Replies queued minus replies acknowledged, kept by the two scripts above. */
const PENDING_COUNT_KEY = 'chat:mailbox-pending-count';

function mailboxKeys(tenantId: string, threadKey: string) {
  const base = `chat:mailbox:${tenantId}:${threadKey}`;
  return { order: `${base}:order`, bodies: `${base}:bodies`, sequence: `${base}:seq` };
}
// Per thread, so one visitor can never acknowledge or read another visitor's replies.
const deliveredKey = (tenantId: string, threadKey: string, messageId: string): string =>
  `chat:delivered:${tenantId}:${threadKey}:${messageId}`;
const readKey = (tenantId: string, threadKey: string, messageId: string): string =>
  `chat:read:${tenantId}:${threadKey}:${messageId}`;
