import type { RedisClient } from '@switchboard/redis';

/**
 * Which conversation a chat thread belongs to, learned from the agent replies that carry it:
 * the conversation service's API looks conversations up by id, never by thread key.
 */
export interface ThreadConversationStore {
  remember(tenantId: string, threadKey: string, conversationId: string): Promise<void>;
  find(tenantId: string, threadKey: string): Promise<string | undefined>;
}

export class RedisThreadConversationStore implements ThreadConversationStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly ttlSeconds: number,
  ) {}

  async remember(tenantId: string, threadKey: string, conversationId: string): Promise<void> {
    await this.redis.set(key(tenantId, threadKey), conversationId, 'EX', this.ttlSeconds);
  }

  async find(tenantId: string, threadKey: string): Promise<string | undefined> {
    return (await this.redis.get(key(tenantId, threadKey))) ?? undefined;
  }
}

const key = (tenantId: string, threadKey: string): string =>
  `chat:thread-conversation:${tenantId}:${threadKey}`;
