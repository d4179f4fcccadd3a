import { createServer } from 'node:net';
import {
  KafkaUnavailableError,
  createKafkaClient,
  type KafkaClient,
  type KafkaLogger,
} from './index';

/** A port nothing listens on: bound by the OS, then released. */
async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve, reject) =>
    server.close((error) => (error ? reject(error) : resolve())),
  );
  if (address === null || typeof address === 'string') {
    throw new Error('no TCP address');
  }
  return address.port;
}

async function timed<T>(operation: () => Promise<T>): Promise<{ error: unknown; ms: number }> {
  const startedAt = Date.now();
  try {
    await operation();
    return { error: undefined, ms: Date.now() - startedAt };
  } catch (error) {
    return { error, ms: Date.now() - startedAt };
  }
}

describe('an unreachable broker', () => {
  let client: KafkaClient;
  const logged: { level: keyof KafkaLogger; obj: object; msg: string | undefined }[] = [];
  const recordAt =
    (level: keyof KafkaLogger) =>
    (obj: object, msg?: string): void => {
      logged.push({ level, obj, msg });
    };
  const logger: KafkaLogger = {
    info: recordAt('info'),
    warn: recordAt('warn'),
    error: recordAt('error'),
    debug: recordAt('debug'),
  };
  const consoleSpies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((method) =>
    jest.spyOn(console, method),
  );

  beforeAll(async () => {
    client = createKafkaClient({
      brokers: [`127.0.0.1:${await unusedPort()}`],
      clientId: 'kafka-unavailable-test',
      connectionTimeoutMs: 500,
      logger,
    });
  });

  afterAll(async () => {
    const { ms } = await timed(() => client.close());
    // Abandoned attempts are bounded, so closing does not hang either.
    expect(ms).toBeLessThan(10_000);
    // kafkajs's complaints reach our logger, never the console.
    expect(
      logged.some(
        ({ level, obj, msg }) =>
          level === 'error' &&
          (obj as { component?: string }).component === 'kafkajs' &&
          /ECONNREFUSED|Connection error/.test(`${msg} ${JSON.stringify(obj)}`),
      ),
    ).toBe(true);
    for (const spy of consoleSpies) {
      expect(spy).not.toHaveBeenCalled();
      spy.mockRestore();
    }
  }, 15_000);

  it('fails fast with KafkaUnavailableError on send and connect', async () => {
    const producer = client.createProducer({ sendTimeoutMs: 1_500 });

    const send = await timed(() =>
      producer.send('anything', [{ key: 'k', value: 'would be lost otherwise' }]),
    );
    expect(send.error).toBeInstanceOf(KafkaUnavailableError);
    expect(send.ms).toBeLessThan(3_000);

    const connect = await timed(() => producer.connect());
    expect(connect.error).toBeInstanceOf(KafkaUnavailableError);
    expect(connect.ms).toBeLessThan(3_000);

    expect(producer.isConnected()).toBe(false);
    expect(client.health()).toEqual({
      connected: false,
      components: [{ kind: 'producer', name: 'kafka-unavailable-test', connected: false }],
    });
    await producer.disconnect();
    expect(client.health()).toEqual({ connected: true, components: [] });
  }, 15_000);

  it('gives up within the default five seconds, even for concurrent sends', async () => {
    const producer = client.createProducer();
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, index) =>
        timed(() => producer.send('anything', [{ key: `k${index}`, value: 'v' }])),
      ),
    );
    for (const { error, ms } of results) {
      expect(error).toBeInstanceOf(KafkaUnavailableError);
      expect(ms).toBeLessThan(6_500);
    }
    await producer.disconnect();
  }, 15_000);

  it('makes a consumer start fail within its start timeout, and stop cleanly', async () => {
    const consumer = client.createConsumer({
      groupId: 'unreachable-group',
      topics: ['anything'],
      handler: async () => undefined,
      startTimeoutMs: 1_500,
    });
    const start = await timed(() => consumer.start());
    expect(start.error).toBeInstanceOf(KafkaUnavailableError);
    expect(start.ms).toBeLessThan(6_000);
    expect(consumer.isConnected()).toBe(false);
    expect(client.health().components).toEqual([]);
  }, 15_000);

  it('reports the cluster as unreachable through ping', async () => {
    const ping = await timed(() => client.admin().ping(500));
    expect(ping.ms).toBeLessThan(1_500);
    await expect(client.admin().ping(500)).resolves.toBe(false);
  }, 10_000);
});
