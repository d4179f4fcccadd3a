import { loadConfig } from '@switchboard/config';
import { chatGatewayEnvSchema } from '../config/chat-gateway.config';
import { TrustedProxies } from './trusted-proxies';

describe('trusted proxies', () => {
  const env = { KAFKA_BROKERS: '127.0.0.1:9092', REDIS_URL: 'redis://127.0.0.1:6379' };

  it('ignores X-Forwarded-For by default', () => {
    const none = new TrustedProxies('');
    expect(none.clientAddress('192.0.2.10', '203.0.113.7')).toBe('192.0.2.10');
    expect(none.clientAddress('::ffff:192.0.2.10', undefined)).toBe('192.0.2.10');
    expect(loadConfig(chatGatewayEnvSchema, env).CHAT_TRUSTED_PROXIES).toBe('');
  });

  it('reads X-Forwarded-For from the right, behind trusted addresses and ranges only', () => {
    const proxies = new TrustedProxies('10.0.0.0/8, 192.0.2.10, 2001:db8::/32');
    // The client's own claim (left) is never used; the address the proxy saw (right) is.
    expect(proxies.clientAddress('192.0.2.10', '198.51.100.1, 203.0.113.7')).toBe('203.0.113.7');
    // Trusted hops are skipped, whichever header lines they arrive on.
    expect(proxies.clientAddress('::ffff:10.1.2.3', ['203.0.113.7, 10.9.9.9', '192.0.2.10'])).toBe(
      '203.0.113.7',
    );
    expect(proxies.clientAddress('2001:db8::1', '2001:db9::5')).toBe('2001:db9::5');
    // An untrusted peer's header is ignored.
    expect(proxies.clientAddress('192.0.2.11', '203.0.113.7')).toBe('192.0.2.11');
    // A malformed entry ends the walk at the last trusted hop; all-trusted gives the leftmost.
    expect(proxies.clientAddress('192.0.2.10', 'nonsense, 10.0.0.5')).toBe('10.0.0.5');
    expect(proxies.clientAddress('192.0.2.10', '10.0.0.6, 10.0.0.5')).toBe('10.0.0.6');
    expect(proxies.clientAddress('192.0.2.10', undefined)).toBe('192.0.2.10');
  });

  it('stops start-up on an entry that is not an address or a range, naming the variable', () => {
    for (const value of ['10.0.0.0/33', 'proxy.internal', '10.0.0.1/8/1', '::1/129']) {
      expect(() =>
        loadConfig(chatGatewayEnvSchema, { ...env, CHAT_TRUSTED_PROXIES: value }),
      ).toThrow(
        'CHAT_TRUSTED_PROXIES must be a comma-separated list of IP addresses or CIDR ranges',
      );
    }
    expect(() => new TrustedProxies('10.0.0.0/33')).toThrow('invalid trusted proxy "10.0.0.0/33"');
  });
});
