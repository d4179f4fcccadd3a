import { createHmac, timingSafeEqual } from 'node:crypto';

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

/** What the website signs: hex HMAC-SHA256(tenant identity secret, user id). */
export function signUserId(secret: string, userId: string): string {
  return createHmac('sha256', secret).update(userId, 'utf8').digest('hex');
}

/**
 * True when `userHash` is the website's signature of `userId`. The comparison is timing-safe so
 * a forger learns nothing from how long a wrong guess took.
 */
export function isUserHashValid(secret: string, userId: string, userHash: string): boolean {
  if (!HEX_SHA256.test(userHash)) return false;
  const expected = Buffer.from(signUserId(secret, userId), 'hex');
  return timingSafeEqual(expected, Buffer.from(userHash, 'hex'));
}
