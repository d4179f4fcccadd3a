import { createHash, randomBytes } from 'node:crypto';
import type { RedisClient } from '@switchboard/redis';

export interface VisitorSession {
  tenantId: string;
  visitorId: string;
  /** The conversation thread of this visitor; the conversation service finds it by this key. */
  threadKey: string;
  /** True when the website vouched for the visitor with a valid identity hash. */
  verified: boolean;
  name?: string;
  email?: string;
  /** The pre-chat topic choice; sent with each message as metadata `preChatTopic`. */
  topic?: string;
}

/** Visitor sessions by their bearer token. */
export interface VisitorSessionStore {
  /** Stores a new session and returns its token, which is shown to the visitor once. */
  create(session: VisitorSession): Promise<string>;
  /** The session of a token, refreshing its expiry; undefined when unknown or expired. */
  resume(token: string): Promise<VisitorSession | undefined>;
  /** Replaces what a live token's session holds (the pre-chat form); false when it expired. */
  update(token: string, session: VisitorSession): Promise<boolean>;
}

/** 256 random bits; only its SHA-256 is stored, so a Redis dump cannot be replayed as tokens. */
export function newSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

const tokenKey = (token: string): string =>
  `chat:session:${createHash('sha256').update(token).digest('hex')}`;

export class RedisVisitorSessionStore implements VisitorSessionStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly ttlSeconds: number,
  ) {}

  async create(session: VisitorSession): Promise<string> {
    const token = newSessionToken();
    await this.redis.set(tokenKey(token), JSON.stringify(session), 'EX', this.ttlSeconds);
    return token;
  }

  async update(token: string, session: VisitorSession): Promise<boolean> {
    // XX: an expired session is not brought back by a late form.
    const stored = await this.redis.set(
      tokenKey(token),
      JSON.stringify(session),
      'EX',
      this.ttlSeconds,
      'XX',
    );
    return stored === 'OK';
  }

  async resume(token: string): Promise<VisitorSession | undefined> {
    const key = tokenKey(token);
    const stored = await this.redis.getex(key, 'EX', this.ttlSeconds);
    return stored === null ? undefined : (JSON.parse(stored) as VisitorSession);
  }
}
