import type { RedisClient } from '@switchboard/redis';

/** How to reach a visitor outside the chat: what the pre-chat form gave. */
export interface VisitorContact {
  email: string;
  name?: string;
}

/**
 * Visitor contacts by thread. Sessions are keyed by their token's hash, so a reply (which knows
 * only its tenant and thread) finds the visitor's email address here.
 */
export interface VisitorContactStore {
  remember(tenantId: string, threadKey: string, contact: VisitorContact): Promise<void>;
  find(tenantId: string, threadKey: string): Promise<VisitorContact | undefined>;
}

export class RedisVisitorContactStore implements VisitorContactStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly ttlSeconds: number,
  ) {}

  async remember(tenantId: string, threadKey: string, contact: VisitorContact): Promise<void> {
    await this.redis.set(key(tenantId, threadKey), JSON.stringify(contact), 'EX', this.ttlSeconds);
  }

  async find(tenantId: string, threadKey: string): Promise<VisitorContact | undefined> {
    const stored = await this.redis.get(key(tenantId, threadKey));
    return stored === null ? undefined : (JSON.parse(stored) as VisitorContact);
  }
}

const key = (tenantId: string, threadKey: string): string =>
  `chat:visitor-contact:${tenantId}:${threadKey}`;
