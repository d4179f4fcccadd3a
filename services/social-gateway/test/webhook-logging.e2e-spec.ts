import {
  createTestContext,
  expectEventually,
  freePort,
  type ServiceProcess,
  spawnService,
  waitForHttpStatus,
} from '@switchboard/testing';

/**
 * The built gateway as its own process, as in production, so its real request log (JSON lines on
 * stdout) can be read: Meta's verify token travels in the handshake's query string and must never
 * reach a log line, whether the handshake succeeds or fails.
 */
describe('social gateway request log', () => {
  let service: ServiceProcess;

  beforeAll(async () => {
    const context = createTestContext('social gateway log');
    service = spawnService('social-gateway', {
      env: {
        KAFKA_BROKERS: context.stack.kafkaBrokers,
        REDIS_URL: context.stack.redisUrl,
        REDIS_KEY_PREFIX: context.redisKeyPrefix,
        LOG_LEVEL: 'info',
      },
      httpPort: await freePort(),
    });
    await waitForHttpStatus(`${service.httpUrl}/health/live`, 200, { process: service });
  }, 30_000);

  afterAll(async () => {
    await service?.stop();
  });

  it('logs webhook handshakes by path only, never the hub.verify_token', async () => {
    // The demo accounts file the service boots with by default.
    const handshake = (token: string, challenge: string) =>
      fetch(
        `${service.httpUrl}/webhooks/meta/demo-meta-app?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=${challenge}`,
      );
    const accepted = await handshake('demo-meta-verify-token', 'challenge-ok-1');
    expect(accepted.status).toBe(200);
    expect(await accepted.text()).toBe('challenge-ok-1');
    const refused = await handshake('guessed-token-value', 'challenge-bad-2');
    expect(refused.status).toBe(403);

    // Both requests are logged (so the check below reads real request lines) …
    await expectEventually(() =>
      expect(
        service
          .output()
          .split('\n')
          .filter((line) => line.includes('"/webhooks/meta/demo-meta-app"')),
      ).toHaveLength(2),
    );
    // … and neither token, nor anything of the query string, is in the output.
    expect(service.output()).not.toContain('demo-meta-verify-token');
    expect(service.output()).not.toContain('guessed-token-value');
    expect(service.output()).not.toContain('hub.verify_token');
  });
});
