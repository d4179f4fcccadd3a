import type { RedisClient } from '@switchboard/redis';
import { orUnavailable } from './state-unavailable.error';

/** What became of an outbound message, by our message id: the idempotency record of sends. */
export type OutboundRecord =
  | { state: 'in-flight'; since: string }
  | { state: 'sent'; externalMessageId: string; at: string }
  | { state: 'failed'; errorCode: string; errorMessage: string; at: string };

export interface OutboundLedger {
  /**
   * Claims the message for sending. Returns undefined when this caller now owns the send, or the
   * record that exists already (a redelivery: the message must not be sent again).
   */
  claim(tenantId: string, messageId: string, now: Date): Promise<OutboundRecord | undefined>;
  settle(tenantId: string, messageId: string, record: OutboundRecord): Promise<void>;
}

/** Redeliveries come within hours; a week keeps the record well past any of them. */
const RETENTION_SECONDS = 7 * 24 * 3600;

export class RedisOutboundLedger implements OutboundLedger {
  constructor(private readonly redis: RedisClient) {}

  async claim(tenantId: string, messageId: string, now: Date): Promise<OutboundRecord | undefined> {
    const key = ledgerKey(tenantId, messageId);
    const inFlight: OutboundRecord = { state: 'in-flight', since: now.toISOString() };
    const claimed = await orUnavailable('outbound claim', () =>
      this.redis.set(key, JSON.stringify(inFlight), 'EX', RETENTION_SECONDS, 'NX'),
    );
    if (claimed === 'OK') return undefined;
    const existing = await orUnavailable('outbound lookup', () => this.redis.get(key));
    // Expired between the two calls: nobody holds it, so claim again.
    if (existing === null) return this.claim(tenantId, messageId, now);
    return JSON.parse(existing) as OutboundRecord;
  }

  async settle(tenantId: string, messageId: string, record: OutboundRecord): Promise<void> {
    await orUnavailable('outbound settle', () =>
      this.redis.set(
        ledgerKey(tenantId, messageId),
        JSON.stringify(record),
        'EX',
        RETENTION_SECONDS,
      ),
    );
  }
}

function ledgerKey(tenantId: string, messageId: string): string {
  return `social:outbound:${tenantId}:${messageId}`;
}
