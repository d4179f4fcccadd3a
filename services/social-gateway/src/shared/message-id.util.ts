import { createHash } from 'node:crypto';

/**
 * Our message id for a platform message, derived from tenant, channel and the platform's id, so a
 * redelivery that slips past dedupe still carries the same id downstream.
 */
export function inboundMessageId(
  tenantId: string,
  channel: string,
  externalMessageId: string,
): string {
  const hex = createHash('sha256')
    .update(`${tenantId}\u0000${channel}\u0000${externalMessageId}`)
    .digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
