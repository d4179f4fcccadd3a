import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { decodeEnvelope, type InboundMessage, inboundMessageSchema } from '@switchboard/events';
import { createKafkaClient, type KafkaClient, type MessageConsumer } from '@switchboard/kafka';
import { openRedisConnection, type RedisClient } from '@switchboard/redis';
import { createTestContext, expectEventually } from '@switchboard/testing';
import { MailauthAuthenticator, stubResolver } from '../authenticity/mail-authenticator';
import { IngestMailUseCase } from '../inbound/ingest-mail.usecase';
import { DEFAULT_PARSE_LIMITS } from '../inbound/parsing/parse-mail';
import { LocalDiskStorage } from '../storage/blob-storage';
import { TenantDirectory } from '../tenants/tenant-directory';
import { plainMail } from '../testing/mail-fixtures';
import { RedisThreadIndex } from '../threading/thread-index';
import { ThreadSigner } from '../threading/thread-signer';
import { RawMimeController } from './raw-mime.controller';
import { RAW_MIME_SETTINGS } from './raw-mime.settings';

/** POST /inbound/raw-mime over real HTTP, against the real Kafka and Redis of the local stack. */
describe('raw-MIME HTTP ingest → Kafka', () => {
  const context = createTestContext('email raw mime');
  const inboundTopic = context.topic('inbound');
  const secret = 'raw-mime-test-secret-0123';
  const storageDir = mkdtempSync(join(tmpdir(), 'email-raw-mime-'));
  const received: InboundMessage[] = [];
  let kafka: KafkaClient;
  let unreachableKafka: KafkaClient;
  let redis: RedisClient;
  let consumer: MessageConsumer;
  const apps: INestApplication[] = [];

  /** The controller as the service mounts it, over the given Kafka. */
  async function startApp(client: KafkaClient, sendTimeoutMs: number): Promise<string> {
    const ingest = new IngestMailUseCase({
      producer: client.createProducer({ sendTimeoutMs }),
      storage: new LocalDiskStorage(storageDir),
      threadIndex: new RedisThreadIndex(redis),
      signer: new ThreadSigner('integration-test-secret-0123456789'),
      authenticator: new MailauthAuthenticator(stubResolver({}), 'test-mx'),
      limits: { ...DEFAULT_PARSE_LIMITS, maxAttachmentBytes: 1024 * 1024, maxBodyChars: 100_000 },
      inboundTopic,
    });
    @Module({
      controllers: [RawMimeController],
      providers: [
        { provide: IngestMailUseCase, useValue: ingest },
        {
          provide: TenantDirectory,
          useValue: new TenantDirectory([
            { id: context.tenantId, addresses: ['support@acme.test'], domains: [] },
          ]),
        },
        { provide: RAW_MIME_SETTINGS, useValue: { secret, maxMessageBytes: 64 * 1024 } },
      ],
    })
    class RawMimeTestModule {}
    const app = await NestFactory.create(RawMimeTestModule, { logger: false });
    apps.push(app);
    await app.listen(0, '127.0.0.1');
    return `${await app.getUrl()}/inbound/raw-mime?to=support@acme.test`;
  }

  function post(url: string, raw: Buffer): Promise<Response> {
    return fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'message/rfc822', 'x-switchboard-secret': secret },
      body: raw,
    });
  }

  beforeAll(async () => {
    kafka = createKafkaClient({
      brokers: context.stack.kafkaBrokers.split(','),
      clientId: 'raw-int',
    });
    unreachableKafka = createKafkaClient({
      brokers: ['127.0.0.1:1'],
      clientId: 'raw-int-down',
      connectionTimeoutMs: 300,
    });
    await kafka.admin().ensureTopics([
      { name: inboundTopic, partitions: 1 },
      { name: `${inboundTopic}.dlq`, partitions: 1 },
    ]);
    redis = openRedisConnection({ url: context.stack.redisUrl, keyPrefix: context.redisKeyPrefix });
    consumer = kafka.createConsumer({
      groupId: `${context.topicPrefix}reader`,
      topics: [inboundTopic],
      fromBeginning: true,
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 500,
      handler: (message) => {
        received.push(decodeEnvelope('inbound message', inboundMessageSchema, message.value));
        return Promise.resolve();
      },
    });
    await consumer.start();
  }, 60_000);

  afterAll(async () => {
    for (const app of apps) await app.close();
    await consumer?.stop();
    await unreachableKafka?.close();
    await kafka
      ?.admin()
      .deleteTopics([inboundTopic, `${inboundTopic}.dlq`])
      .catch(() => undefined);
    await kafka?.close();
    redis?.disconnect();
    rmSync(storageDir, { recursive: true, force: true });
  }, 30_000);

  it('answers 503 while Kafka is unavailable; the retry then gets 200 and the mail is on Kafka once', async () => {
    const raw = plainMail('Posted while Kafka was down', { messageId: '<http-1@customer.test>' });
    const down = await post(await startApp(unreachableKafka, 1_000), raw);
    expect(down.status).toBe(503);
    expect(await down.text()).toContain('please retry');

    const up = await post(await startApp(kafka, 5_000), raw);
    expect(up.status).toBe(200);
    await expectEventually(() =>
      expect(received.filter((m) => m.externalMessageId === '<http-1@customer.test>')).toHaveLength(
        1,
      ),
    );
    expect(received[0]?.metadata['email.source']).toBe('http');
  }, 30_000);
});
