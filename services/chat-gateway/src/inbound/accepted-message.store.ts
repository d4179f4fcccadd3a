import type { RedisClient } from '@switchboard/redis';

/** Remembers which client message ids are already on Kafka, so a retry is answered, not resent. */
export interface AcceptedMessageStore {
  isAccepted(tenantId: string, threadKey: string, clientMessageId: string): Promise<boolean>;
  markAccepted(tenantId: string, threadKey: string, clientMessageId: string): Promise<void>;
}

export class RedisAcceptedMessageStore implements AcceptedMessageStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly ttlSeconds: number,
  ) {}

  async isAccepted(tenantId: string, threadKey: string, clientMessageId: string): Promise<boolean> {
    return (await this.redis.exists(key(tenantId, threadKey, clientMessageId))) === 1;
  }

  async markAccepted(tenantId: string, threadKey: string, clientMessageId: string): Promise<void> {
    await this.redis.set(key(tenantId, threadKey, clientMessageId), '1', 'EX', this.ttlSeconds);
  }
}

const key = (tenantId: string, threadKey: string, clientMessageId: string): string =>
  `chat:accepted:${tenantId}:${threadKey}:${clientMessageId}`;
