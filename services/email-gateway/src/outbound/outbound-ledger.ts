import type { RedisClient } from '@switchboard/redis';

/** Which outbound message one of our Message-IDs belongs to, so a bounce can be reported on it. */
export interface SentMessageRef {
  tenantId: string;
  conversationId: string;
  messageId: string;
}

/**
 * What the gateway must remember about outbound mail beyond one attempt: that a message was
 * handed to the relay (so a redelivered Kafka record is never mailed twice), how many attempts
 * it has had (so 4xx retries stay bounded across restarts), and which message each of our
 * Message-IDs carried (for bounces). Every key carries the tenant.
 */
export interface OutboundLedger {
  /** Our Message-ID of a message the relay already accepted, or undefined. */
  findSent(tenantId: string, messageId: string): Promise<string | undefined>;
  markSent(tenantId: string, messageId: string, ourMessageId: string): Promise<void>;
  /** Counts one more delivery attempt and returns the count including it. */
  countAttempt(tenantId: string, messageId: string): Promise<number>;
  rememberSentMessage(ourMessageId: string, ref: SentMessageRef): Promise<void>;
  findSentMessage(tenantId: string, ourMessageId: string): Promise<SentMessageRef | undefined>;
}

/** As long as the thread index: a bounce or a redelivery can come that late. */
const RETENTION_SECONDS = 400 * 24 * 3600;

export class RedisOutboundLedger implements OutboundLedger {
  constructor(private readonly redis: RedisClient) {}

  async findSent(tenantId: string, messageId: string): Promise<string | undefined> {
    return (await this.redis.get(this.sentKey(tenantId, messageId))) ?? undefined;
  }

  async markSent(tenantId: string, messageId: string, ourMessageId: string): Promise<void> {
    await this.redis.set(this.sentKey(tenantId, messageId), ourMessageId, 'EX', RETENTION_SECONDS);
  }

  async countAttempt(tenantId: string, messageId: string): Promise<number> {
    const key = `email:out:attempts:${tenantId}:${messageId}`;
    const results = await this.redis.multi().incr(key).expire(key, RETENTION_SECONDS).exec();
    const count = results?.[0]?.[1];
    if (typeof count !== 'number') throw new Error('redis did not count the delivery attempt');
    return count;
  }

  async rememberSentMessage(ourMessageId: string, ref: SentMessageRef): Promise<void> {
    await this.redis.set(
      this.messageIdKey(ref.tenantId, ourMessageId),
      JSON.stringify({ conversationId: ref.conversationId, messageId: ref.messageId }),
      'EX',
      RETENTION_SECONDS,
    );
  }

  async findSentMessage(
    tenantId: string,
    ourMessageId: string,
  ): Promise<SentMessageRef | undefined> {
    const stored = await this.redis.get(this.messageIdKey(tenantId, ourMessageId));
    if (stored === null) return undefined;
    const parsed = JSON.parse(stored) as { conversationId: string; messageId: string };
    return { tenantId, conversationId: parsed.conversationId, messageId: parsed.messageId };
  }

  private sentKey(tenantId: string, messageId: string): string {
    return `email:out:sent:${tenantId}:${messageId}`;
  }

  private messageIdKey(tenantId: string, ourMessageId: string): string {
    return `email:out:mid:${tenantId}:${ourMessageId.toLowerCase()}`;
  }
}

/** For unit tests: the same contract in memory. */
export class InMemoryOutboundLedger implements OutboundLedger {
  readonly sent = new Map<string, string>();
  private readonly attempts = new Map<string, number>();
  private readonly messages = new Map<string, SentMessageRef>();

  findSent(tenantId: string, messageId: string): Promise<string | undefined> {
    return Promise.resolve(this.sent.get(`${tenantId}:${messageId}`));
  }

  markSent(tenantId: string, messageId: string, ourMessageId: string): Promise<void> {
    this.sent.set(`${tenantId}:${messageId}`, ourMessageId);
    return Promise.resolve();
  }

  countAttempt(tenantId: string, messageId: string): Promise<number> {
    const count = (this.attempts.get(`${tenantId}:${messageId}`) ?? 0) + 1;
    this.attempts.set(`${tenantId}:${messageId}`, count);
    return Promise.resolve(count);
  }

  rememberSentMessage(ourMessageId: string, ref: SentMessageRef): Promise<void> {
    this.messages.set(`${ref.tenantId}:${ourMessageId.toLowerCase()}`, ref);
    return Promise.resolve();
  }

  findSentMessage(tenantId: string, ourMessageId: string): Promise<SentMessageRef | undefined> {
    return Promise.resolve(this.messages.get(`${tenantId}:${ourMessageId.toLowerCase()}`));
  }
}
