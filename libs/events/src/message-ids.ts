import { createHash } from 'node:crypto';

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

/**
 * The conversation service's id of a customer message: tenant + channel + the channel's own id of
 * the message (the inbound envelope's `externalMessageId`). A contract, not an internal detail:
 * a gateway can name the stored message before it is stored — the chat gateway matches an
 * agent's "read up to" signal (`lastReadMessageId`) to the lines its widget shows by it. Changing
 * it would orphan every stored message id, so it never changes.
 */
export const inboundMessageIdOf = (tenant: string, channel: string, externalId: string): string =>
  deterministicId('msg', tenant, 'in', channel, externalId);
