import type { RedisClient } from '@switchboard/redis';
import type { SocialChannel } from '../config/social-accounts.config';
import { orUnavailable } from './state-unavailable.error';

/** Our ids of a message we sent, found again from the platform's id when a status arrives. */
export interface SentMessageRef {
  messageId: string;
  conversationId: string;
  externalMessageId: string;
}

/** The index's record of one send: the ref plus where and when it went. */
export interface SentMessageRecord extends SentMessageRef {
  /** Absent in records written before the gateway kept it. */
  threadKey?: string;
  sentAt?: string;
}

export interface SentMessageIndex {
  remember(
    tenantId: string,
    channel: SocialChannel,
    threadKey: string,
    sentAt: Date,
    ref: SentMessageRef,
  ): Promise<void>;
  lookup(
    tenantId: string,
    channel: SocialChannel,
    externalMessageId: string,
  ): Promise<SentMessageRecord | undefined>;
  /** Messages of a thread sent at or before `watermark` and not yet reported read. */
  unreadUpTo(
    tenantId: string,
    channel: SocialChannel,
    threadKey: string,
    watermark: Date,
  ): Promise<SentMessageRef[]>;
  forgetUnreadUpTo(
    tenantId: string,
    channel: SocialChannel,
    threadKey: string,
    watermark: Date,
  ): Promise<void>;
}

/** Statuses arrive within days; a month covers late reads with room to spare. */
const RETENTION_SECONDS = 30 * 24 * 3600;

export class RedisSentMessageIndex implements SentMessageIndex {
  constructor(private readonly redis: RedisClient) {}

  async remember(
    tenantId: string,
    channel: SocialChannel,
    threadKey: string,
    sentAt: Date,
    ref: SentMessageRef,
  ): Promise<void> {
    await orUnavailable('sent index write', async () => {
      const results = await this.redis
        .multi()
        .set(
          refKey(tenantId, channel, ref.externalMessageId),
          JSON.stringify({ ...ref, threadKey, sentAt: sentAt.toISOString() }),
          'EX',
          RETENTION_SECONDS,
        )
        .zadd(unreadKey(tenantId, channel, threadKey), sentAt.getTime(), JSON.stringify(ref))
        .expire(unreadKey(tenantId, channel, threadKey), RETENTION_SECONDS)
        .exec();
      const failed = (results ?? []).find(([error]) => error !== null);
      if (failed?.[0]) throw failed[0];
    });
  }

  async lookup(
    tenantId: string,
    channel: SocialChannel,
    externalMessageId: string,
  ): Promise<SentMessageRecord | undefined> {
    const value = await orUnavailable('sent index lookup', () =>
      this.redis.get(refKey(tenantId, channel, externalMessageId)),
    );
    return value === null ? undefined : (JSON.parse(value) as SentMessageRecord);
  }

  async unreadUpTo(
    tenantId: string,
    channel: SocialChannel,
    threadKey: string,
    watermark: Date,
  ): Promise<SentMessageRef[]> {
    const members = await orUnavailable('sent index read watermark', () =>
      this.redis.zrangebyscore(
        unreadKey(tenantId, channel, threadKey),
        '-inf',
        watermark.getTime(),
      ),
    );
    return members.map((member) => JSON.parse(member) as SentMessageRef);
  }

  async forgetUnreadUpTo(
    tenantId: string,
    channel: SocialChannel,
    threadKey: string,
    watermark: Date,
  ): Promise<void> {
    await orUnavailable('sent index forget', () =>
      this.redis.zremrangebyscore(
        unreadKey(tenantId, channel, threadKey),
        '-inf',
        watermark.getTime(),
      ),
    );
  }
}

function refKey(tenantId: string, channel: SocialChannel, externalMessageId: string): string {
  return `social:sent:${tenantId}:${channel}:${externalMessageId}`;
}

function unreadKey(tenantId: string, channel: SocialChannel, threadKey: string): string {
  return `social:unread:${tenantId}:${channel}:${threadKey}`;
}
