import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startFerretDb, startKafka, startRedis } from '@switchboard/stack';
import {
  SERVICE_NAMES,
  type ServiceName,
  type ServiceProcess,
  spawnService,
  waitForHttpStatus,
} from '@switchboard/testing';

/**
 * Every service, as its own process, against dependencies of this suite's own (so stopping them
 * can't disturb other suites): health, metrics, readiness that follows its dependencies, and a
 * clean exit on SIGTERM.
 */

type Dependency = 'kafka' | 'mongodb' | 'redis';

const DEPENDENCIES: Record<ServiceName, Dependency[]> = {
  'email-gateway': ['kafka', 'redis'],
  'chat-gateway': ['kafka', 'redis'],
  'social-gateway': ['kafka', 'redis'],
  router: ['kafka', 'mongodb', 'redis'],
  conversation: ['kafka', 'mongodb'],
};

interface Handle {
  url: string;
  stop(): Promise<void>;
}

interface ReadyBody {
  status: string;
  checks: Record<string, 'up' | 'down'>;
}

async function readiness(service: ServiceProcess): Promise<{ status: number; body: ReadyBody }> {
  const response = await fetch(`${service.httpUrl}/health/ready`);
  return { status: response.status, body: (await response.json()) as ReadyBody };
}

async function expectReadiness(
  services: ServiceProcess[],
  down: Dependency | undefined,
  timeoutMs: number,
): Promise<void> {
  await Promise.all(
    services.map(async (service) => {
      const affected = down !== undefined && DEPENDENCIES[service.name].includes(down);
      await waitForHttpStatus(`${service.httpUrl}/health/ready`, affected ? 503 : 200, {
        timeoutMs,
        process: service,
      });
      const { body } = await readiness(service);
      if (affected && down) expect(body.checks[down]).toBe('down');
      else expect(body.status).toBe('ready');
    }),
  );
}

describe('every service as a process', () => {
  const workDirectory = mkdtempSync(join(tmpdir(), 'switchboard-lifecycle-'));
  let kafka: Handle;
  let mongodb: Handle;
  let redis: Handle;
  const ports = { kafka: 0, kafkaController: 0, mongodb: 0, redis: 0 };
  const services: ServiceProcess[] = [];

  const startDependency = {
    kafka: () =>
      startKafka({
        dir: join(workDirectory, 'kafka'),
        port: ports.kafka,
        controllerPort: ports.kafkaController,
      }),
    mongodb: () => startFerretDb({ dir: join(workDirectory, 'ferretdb'), port: ports.mongodb }),
    redis: () => startRedis({ dir: join(workDirectory, 'redis'), port: ports.redis }),
  };

  beforeAll(async () => {
    ports.kafka = await freePort();
    ports.kafkaController = await freePort();
    ports.mongodb = await freePort();
    ports.redis = await freePort();
    [kafka, mongodb, redis] = await Promise.all([
      startDependency.kafka(),
      startDependency.mongodb(),
      startDependency.redis(),
    ]);
    const env = {
      KAFKA_BROKERS: kafka.url,
      MONGODB_URI: mongodb.url,
      REDIS_URL: redis.url,
      KAFKA_TOPIC_PARTITIONS: '2',
      // Free ports, so the suite never collides with a running `npm start` (SMTP, gRPC).
      SMTP_PORT: String(await freePort()),
      AUTH_JWT_SECRET: 'service-lifecycle-test-secret-of-32-bytes-or-more',
      LOG_LEVEL: 'info',
    };
    for (const name of SERVICE_NAMES) {
      const grpcPort = String(await freePort());
      services.push(
        spawnService(name, { env: { ...env, GRPC_PORT: grpcPort }, httpPort: await freePort() }),
      );
    }
  }, 180_000);

  afterAll(async () => {
    await Promise.all(services.map((service) => service.stop('SIGKILL')));
    await Promise.all([kafka?.stop(), mongodb?.stop(), redis?.stop()]);
    rmSync(workDirectory, { recursive: true, force: true });
  }, 60_000);

  it('answers /health/live, /health/ready and /metrics once its dependencies are up', async () => {
    await Promise.all(
      services.map(async (service) => {
        await waitForHttpStatus(`${service.httpUrl}/health/ready`, 200, {
          timeoutMs: 60_000,
          process: service,
        });
        const live = await fetch(`${service.httpUrl}/health/live`);
        expect(live.status).toBe(200);
        expect(await live.json()).toEqual({ status: 'ok' });

        const { body } = await readiness(service);
        // Every dependency is probed; a service may add its own checks (e.g. its consumer joined).
        expect(Object.keys(body.checks)).toEqual(
          expect.arrayContaining(DEPENDENCIES[service.name]),
        );

        const metrics = await fetch(`${service.httpUrl}/metrics`);
        expect(metrics.status).toBe(200);
        expect(metrics.headers.get('content-type')).toContain('text/plain');
        const text = await metrics.text();
        expect(text).toContain(
          `switchboard_process_cpu_user_seconds_total{service="${service.name}"}`,
        );
        expect(text).toContain('switchboard_nodejs_eventloop_lag_seconds');
      }),
    );
  }, 90_000);

  it('turns not-ready while Redis is down and ready again when it is back', async () => {
    await redis.stop();
    await expectReadiness(services, 'redis', 20_000);
    redis = await startDependency.redis();
    await expectReadiness(services, undefined, 30_000);
  }, 90_000);

  it('turns not-ready while MongoDB is down and ready again when it is back', async () => {
    await mongodb.stop();
    await expectReadiness(services, 'mongodb', 20_000);
    mongodb = await startDependency.mongodb();
    await expectReadiness(services, undefined, 45_000);
  }, 120_000);

  it('turns not-ready while Kafka is down and ready again when it is back', async () => {
    await kafka.stop();
    await expectReadiness(services, 'kafka', 30_000);
    kafka = await startDependency.kafka();
    await expectReadiness(services, undefined, 60_000);
  }, 180_000);

  it('exits 0 within 10 s of SIGTERM', async () => {
    const results = await Promise.all(services.map((service) => service.stop('SIGTERM')));
    results.forEach((result, index) => {
      const service = services[index];
      // On failure, show the end of what the service logged: it says what held the exit up.
      const tail = service?.output().split('\n').slice(-15).join('\n');
      expect({ service: service?.name, code: result.code }).toEqual({
        service: service?.name,
        code: 0,
        ...(result.code === 0 ? {} : { tail }),
      });
      expect(result.ms).toBeLessThan(10_000);
      expect(service?.output()).toContain(`"msg":"${service?.name ?? ''} stopped"`);
    });
  }, 30_000);
});

describe('a service with bad configuration', () => {
  it('stops at once with one line naming the variable', async () => {
    const service = spawnService('router', {
      env: { KAFKA_BROKERS: '127.0.0.1:1', REDIS_URL: 'redis://127.0.0.1:1' },
      httpPort: await freePort(),
    });
    const { code } = await service.exited;
    expect(code).toBe(1);
    expect(service.output().trim()).toBe(
      'router: invalid configuration: MONGODB_URI is required but not set',
    );

    const badPort = spawnService('email-gateway', {
      env: { KAFKA_BROKERS: 'kafka:9092', LOG_LEVEL: 'chatty' },
      httpPort: await freePort(),
    });
    expect((await badPort.exited).code).toBe(1);
    expect(badPort.output()).toContain('LOG_LEVEL must be one of');
  }, 30_000);
});
