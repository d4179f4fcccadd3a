import { ConfigValidationError, loadConfig } from '@switchboard/config';
import { emailGatewayEnvSchema, smtpRelaySettings } from './email-gateway.config';

const base = { KAFKA_BROKERS: '127.0.0.1:19092', REDIS_URL: 'redis://127.0.0.1:16379' };
const relayOf = (env: Record<string, string>) =>
  smtpRelaySettings(loadConfig(emailGatewayEnvSchema, { ...base, ...env }));

describe('SMTP relay settings', () => {
  it('are absent without a relay, a URL, or host/port/secure/auth parts', () => {
    expect(relayOf({})).toBeUndefined();
    expect(relayOf({ SMTP_RELAY_URL: 'smtps://u:p@relay.test' })).toEqual({
      url: 'smtps://u:p@relay.test',
      timeoutMs: 15_000,
    });
    expect(
      relayOf({
        SMTP_RELAY_HOST: 'relay.test',
        SMTP_RELAY_PORT: '465',
        SMTP_RELAY_SECURE: 'true',
        SMTP_RELAY_USER: 'u',
        SMTP_RELAY_PASSWORD: 'p',
      }),
    ).toEqual({
      host: 'relay.test',
      port: 465,
      secure: true,
      auth: { user: 'u', pass: 'p' },
      timeoutMs: 15_000,
    });
  });

  it('name the variable of a contradictory or malformed set', () => {
    expect(() => relayOf({ SMTP_RELAY_URL: 'http://relay.test' })).toThrow(
      'SMTP_RELAY_URL must be an smtp:// or smtps:// URL',
    );
    expect(() =>
      relayOf({ SMTP_RELAY_URL: 'smtp://relay.test', SMTP_RELAY_HOST: 'relay.test' }),
    ).toThrow(
      new ConfigValidationError('SMTP_RELAY_HOST', 'cannot be combined with SMTP_RELAY_URL'),
    );
    expect(() => relayOf({ SMTP_RELAY_HOST: 'relay.test', SMTP_RELAY_USER: 'u' })).toThrow(
      'SMTP_RELAY_PASSWORD is required',
    );
    expect(() => relayOf({ SMTP_RELAY_SECURE: 'yes' })).toThrow(
      'SMTP_RELAY_SECURE must be true or false',
    );
  });
});
