import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { ServiceKitModule } from '../service-kit.module';
import { cachedProbe, ReadinessRegistry } from './readiness.registry';

describe('health and metrics endpoints', () => {
  let app: INestApplication;
  const httpServer = (): Server => app.getHttpServer() as Server;
  let kafkaUp = true;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ServiceKitModule.forRoot({ serviceName: 'test-service', logLevel: 'silent' })],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.get(ReadinessRegistry).register('kafka', async () => kafkaUp);
    await app.init();
  });

  afterAll(async () => {
    await app.close();
  });

  it('is live regardless of dependencies', async () => {
    kafkaUp = false;
    await request(httpServer()).get('/health/live').expect(200, { status: 'ok' });
  });

  it('is ready only while every dependency answers', async () => {
    kafkaUp = true;
    const ready = await request(httpServer()).get('/health/ready').expect(200);
    expect(ready.body).toEqual({
      status: 'ready',
      ready: true,
      checks: { kafka: 'up' },
      shuttingDown: false,
    });

    kafkaUp = false;
    const notReady = await request(httpServer()).get('/health/ready').expect(503);
    expect(notReady.body).toMatchObject({ status: 'not ready', checks: { kafka: 'down' } });
  });

  it('is not ready once shutdown begins', async () => {
    kafkaUp = true;
    app.get(ReadinessRegistry).markShuttingDown();
    const response = await request(httpServer()).get('/health/ready').expect(503);
    expect(response.body).toMatchObject({ checks: { kafka: 'up' }, shuttingDown: true });
  });

  it('serves Prometheus metrics labelled with the service', async () => {
    const response = await request(httpServer()).get('/metrics').expect(200);
    expect(response.headers['content-type']).toContain('text/plain');
    expect(response.text).toContain(
      'switchboard_process_cpu_user_seconds_total{service="test-service"}',
    );
  });
});

describe('ReadinessRegistry', () => {
  it('refuses two probes with one name and counts a throwing probe as down', async () => {
    const registry = new ReadinessRegistry();
    registry.register('redis', () => Promise.reject(new Error('boom')));
    expect(() => registry.register('redis', async () => true)).toThrow('already registered');
    await expect(registry.evaluate()).resolves.toMatchObject({
      ready: false,
      checks: { redis: 'down' },
    });
  });
});

describe('cachedProbe', () => {
  it('shares one in-flight answer and reuses it within the ttl', async () => {
    let calls = 0;
    const probe = cachedProbe(async () => {
      calls += 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return true;
    }, 1_000);
    await expect(Promise.all([probe(), probe(), probe()])).resolves.toEqual([true, true, true]);
    await expect(probe()).resolves.toBe(true);
    expect(calls).toBe(1);
  });

  it('asks again once the ttl passed', async () => {
    let answer = true;
    const probe = cachedProbe(async () => answer, 0);
    await expect(probe()).resolves.toBe(true);
    answer = false;
    await new Promise((resolve) => setTimeout(resolve, 2));
    await expect(probe()).resolves.toBe(false);
  });
});
