import type { RedisClient } from '@switchboard/redis';
import { orUnavailable } from './state-unavailable.error';

/** WhatsApp's customer-service window: free-form replies only within 24 h of the customer's last message. */
export const WHATSAPP_SERVICE_WINDOW_MS = 24 * 3600 * 1000;

export interface CustomerRef {
  tenantId: string;
  accountId: string;
  customerId: string;
}

/** When each customer last wrote to each of our accounts. */
export interface ServiceWindowStore {
  recordCustomerMessage(customer: CustomerRef, at: Date): Promise<void>;
  lastCustomerMessageAt(customer: CustomerRef): Promise<Date | undefined>;
}

// Keeps the later of the stored and the given time: a redelivered old message must not move the
// window back. The key outlives the window a little so the check stays the clock's decision.
const RECORD_IF_LATER = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return 1`;

export class RedisServiceWindowStore implements ServiceWindowStore {
  constructor(private readonly redis: RedisClient) {}

  async recordCustomerMessage(customer: CustomerRef, at: Date): Promise<void> {
    await orUnavailable('service window record', () =>
      this.redis.eval(
        RECORD_IF_LATER,
        1,
        windowKey(customer),
        String(at.getTime()),
        String(WHATSAPP_SERVICE_WINDOW_MS + 3600 * 1000),
      ),
    );
  }

  async lastCustomerMessageAt(customer: CustomerRef): Promise<Date | undefined> {
    const value = await orUnavailable('service window lookup', () =>
      this.redis.get(windowKey(customer)),
    );
    return value === null ? undefined : new Date(Number(value));
  }
}

function windowKey({ tenantId, accountId, customerId }: CustomerRef): string {
  return `social:window:${tenantId}:${accountId}:${customerId}`;
}
