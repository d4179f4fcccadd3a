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
