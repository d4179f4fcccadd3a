/** Dependency-injection tokens of the chat gateway's interfaces. */
export const CHAT_WIRING = Symbol('CHAT_WIRING');
export const CHAT_LIMITS = Symbol('CHAT_LIMITS');
export const CHAT_EVENT_PUBLISHER = Symbol('CHAT_EVENT_PUBLISHER');
export const REPLY_MAILBOX = Symbol('REPLY_MAILBOX');
export const VISITOR_CONTACTS = Symbol('VISITOR_CONTACTS');
export const THREAD_CONVERSATIONS = Symbol('THREAD_CONVERSATIONS');
export const QUEUE_WATCH_OPTIONS = Symbol('QUEUE_WATCH_OPTIONS');

import type { TrustedProxies } from '../sessions/trusted-proxies';

/** Limits and names the transport needs, resolved from configuration once. */
export interface ChatLimits {
  maxMessageBytes: number;
  /** REDIS_KEY_PREFIX: also namespaces pub/sub channels, which ioredis does not prefix. */
  redisKeyPrefix: string;
  /** Whose X-Forwarded-For names the client address for the per-IP limit. */
  trustedProxies: TrustedProxies;
}
