import { createHmac } from 'node:crypto';
import {
  verifyMetaSignature,
  verifySharedSecret,
  verifyXSignature,
  xCrcResponseToken,
} from './webhook-signature.util';

const body = Buffer.from('{"object":"page","entry":[]}');
const metaHeader = (secret: string, bytes = body) =>
  `sha256=${createHmac('sha256', secret).update(bytes).digest('hex')}`;
const xHeader = (secret: string, bytes = body) =>
  `sha256=${createHmac('sha256', secret).update(bytes).digest('base64')}`;

describe('Meta X-Hub-Signature-256', () => {
  it('accepts the HMAC of the exact raw bytes', () => {
    expect(verifyMetaSignature(body, metaHeader('app-secret'), 'app-secret')).toBe('valid');
  });

  it('tells a missing signature from a wrong one', () => {
    expect(verifyMetaSignature(body, undefined, 'app-secret')).toBe('missing');
    expect(verifyMetaSignature(body, '', 'app-secret')).toBe('missing');
    expect(verifyMetaSignature(body, metaHeader('other-secret'), 'app-secret')).toBe('invalid');
  });

  it('rejects a signature over re-serialised JSON, truncated digests and other schemes', () => {
    const reformatted = Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 1));
    expect(verifyMetaSignature(body, metaHeader('app-secret', reformatted), 'app-secret')).toBe(
      'invalid',
    );
    expect(verifyMetaSignature(body, metaHeader('app-secret').slice(0, 40), 'app-secret')).toBe(
      'invalid',
    );
    const sha1 = `sha1=${createHmac('sha1', 'app-secret').update(body).digest('hex')}`;
    expect(verifyMetaSignature(body, sha1, 'app-secret')).toBe('invalid');
  });
});

describe('X webhooks', () => {
  it('verifies x-twitter-webhooks-signature (base64) on events', () => {
    expect(verifyXSignature(body, xHeader('consumer-secret'), 'consumer-secret')).toBe('valid');
    expect(verifyXSignature(body, xHeader('nope-secret'), 'consumer-secret')).toBe('invalid');
    expect(verifyXSignature(body, 'sha256=!!!', 'consumer-secret')).toBe('invalid');
    expect(verifyXSignature(body, undefined, 'consumer-secret')).toBe('missing');
  });

  it('answers the CRC challenge with sha256=base64(HMAC(consumer secret, crc_token))', () => {
    // Expected value computed independently: HMAC-SHA256("consumer-secret", "crc-123") in base64.
    const expected = createHmac('sha256', 'consumer-secret').update('crc-123').digest('base64');
    expect(xCrcResponseToken('crc-123', 'consumer-secret')).toBe(`sha256=${expected}`);
    expect(xCrcResponseToken('crc-124', 'consumer-secret')).not.toBe(`sha256=${expected}`);
  });
});

describe('Telegram secret token', () => {
  it('compares the shared secret exactly, whatever the lengths', () => {
    expect(verifySharedSecret('telegram-secret', 'telegram-secret')).toBe('valid');
    expect(verifySharedSecret('telegram-secre', 'telegram-secret')).toBe('invalid');
    expect(verifySharedSecret('telegram-secret-and-more', 'telegram-secret')).toBe('invalid');
    expect(verifySharedSecret(undefined, 'telegram-secret')).toBe('missing');
  });
});
