import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signature checks over the exact bytes the platform sent. Comparisons are timing-safe and only
 * ever between equal-length buffers (timingSafeEqual throws otherwise, and an early length
 * mismatch reveals nothing secret: the expected length is public).
 */

export type SignatureVerdict = 'valid' | 'missing' | 'invalid';

function equalSecrets(received: Buffer, expected: Buffer): boolean {
  return received.length === expected.length && timingSafeEqual(received, expected);
}

/** Meta: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`. */
export function verifyMetaSignature(
  rawBody: Buffer,
  header: string | undefined,
  appSecret: string,
): SignatureVerdict {
  if (header === undefined || header === '') return 'missing';
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (match?.[1] === undefined) return 'invalid';
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  return equalSecrets(Buffer.from(match[1], 'hex'), expected) ? 'valid' : 'invalid';
}

/** X: `x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256(consumer secret, raw body)>`. */
export function verifyXSignature(
  rawBody: Buffer,
  header: string | undefined,
  consumerSecret: string,
): SignatureVerdict {
  if (header === undefined || header === '') return 'missing';
  const match = /^sha256=([A-Za-z0-9+/]+={0,2})$/.exec(header.trim());
  if (match?.[1] === undefined) return 'invalid';
  const expected = createHmac('sha256', consumerSecret).update(rawBody).digest();
  return equalSecrets(Buffer.from(match[1], 'base64'), expected) ? 'valid' : 'invalid';
}

/** X's CRC challenge answer: `sha256=<base64 HMAC-SHA256(consumer secret, crc_token)>`. */
export function xCrcResponseToken(crcToken: string, consumerSecret: string): string {
  return `sha256=${createHmac('sha256', consumerSecret).update(crcToken, 'utf8').digest('base64')}`;
}

/**
 * Telegram echoes the secret_token given to setWebhook in X-Telegram-Bot-Api-Secret-Token; it is
 * compared as a shared secret (through fixed-length digests, so its length leaks nothing either).
 */
export function verifySharedSecret(header: string | undefined, secret: string): SignatureVerdict {
  if (header === undefined || header === '') return 'missing';
  const digest = (value: string) => createHmac('sha256', 'shared-secret').update(value).digest();
  return equalSecrets(digest(header), digest(secret)) ? 'valid' : 'invalid';
}
