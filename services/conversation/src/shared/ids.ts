import { createHash, randomUUID } from 'node:crypto';

/**
 * Ids derived from natural keys make find-or-create and dedupe idempotent by construction:
 * redelivering the same input computes the same id. The unique indexes on the natural keys stay
 * as the authority.
 */
export function deterministicId(prefix: string, ...parts: string[]): string {
  const digest = createHash('sha256')
    .update(parts.map((part) => `${part.length}:${part}`).join('|'))
    .digest('base64url')
    .slice(0, 24);
  return `${prefix}_${digest}`;
}

export function randomId(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '')}`;
}

/** A conversation is found by its thread: tenant + channel + thread key. */
export const conversationIdOf = (tenant: string, channel: string, threadKey: string): string =>
  deterministicId('cv', tenant, channel, threadKey);

/** A customer message is found by its channel's own id: tenant + channel + external id. */
export const inboundMessageIdOf = (tenant: string, channel: string, externalId: string): string =>
  deterministicId('msg', tenant, 'in', channel, externalId);
