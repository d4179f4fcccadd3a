import { randomUUID } from 'node:crypto';
import { deterministicId } from '@switchboard/events';

// The derivation and the inbound message id are shared contracts (gateways compute them too).
export { deterministicId, inboundMessageIdOf } from '@switchboard/events';

export function randomId(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '')}`;
}

/** A conversation is found by its thread: tenant + channel + thread key. */
export const conversationIdOf = (tenant: string, channel: string, threadKey: string): string =>
  deterministicId('cv', tenant, channel, threadKey);
