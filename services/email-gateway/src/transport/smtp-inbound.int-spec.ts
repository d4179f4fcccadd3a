import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeEnvelope, type InboundMessage, inboundMessageSchema } from '@switchboard/events';
import { createKafkaClient, type KafkaClient, type MessageConsumer } from '@switchboard/kafka';
import { openRedisConnection, type RedisClient } from '@switchboard/redis';
import { createTestContext, expectEventually } from '@switchboard/testing';
import { createTransport } from 'nodemailer';
import pino from 'pino';
import { MailauthAuthenticator, stubResolver } from '../authenticity/mail-authenticator';
import { IngestMailUseCase } from '../inbound/ingest-mail.usecase';
import { DEFAULT_PARSE_LIMITS } from '../inbound/parsing/parse-mail';
import { LocalDiskStorage } from '../storage/blob-storage';
import { TenantDirectory } from '../tenants/tenant-directory';
import {
  appleMailReply,
  deeplyNestedMail,
  gmailReply,
  hugeHeaderMail,
  outlookReply,
  plainMail,
} from '../testing/mail-fixtures';
import { RedisThreadIndex } from '../threading/thread-index';
import { ThreadSigner } from '../threading/thread-signer';
import { SmtpInboundServer } from './smtp-inbound.server';

/** Inbound SMTP against the real Kafka and Redis of the local stack. */
describe('inbound SMTP → Kafka', () => {
  const context = createTestContext('email smtp inbound');
  const inboundTopic = context.topic('inbound');
  const storageDir = mkdtempSync(join(tmpdir(), 'email-gateway-'));
  const logger = pino({ level: 'silent' });
  const tenants = new TenantDirectory([
    { id: context.tenantId, addresses: ['support@acme.test'], domains: [] },
  ]);
  const received: InboundMessage[] = [];
  let kafka: KafkaClient;
  let unreachableKafka: KafkaClient;
  let redis: RedisClient;
  let consumer: MessageConsumer;
  let gateway: SmtpInboundServer;
  let gatewayWithoutKafka: SmtpInboundServer;
  let gatewayPort = 0;
  let downPort = 0;

  function startGateway(
    client: KafkaClient,
    sendTimeoutMs: number,
    tls: { tlsKeyFile?: string; tlsCertFile?: string } = {},
  ): SmtpInboundServer {
    const ingest = new IngestMailUseCase({
      producer: client.createProducer({ sendTimeoutMs }),
      storage: new LocalDiskStorage(storageDir),
      threadIndex: new RedisThreadIndex(redis),
      signer: new ThreadSigner('integration-test-secret-0123456789'),
      authenticator: new MailauthAuthenticator(stubResolver({}), 'test-mx'),
      limits: { ...DEFAULT_PARSE_LIMITS, maxAttachmentBytes: 1024 * 1024, maxBodyChars: 100_000 },
      inboundTopic,
    });
    return new SmtpInboundServer(
      { port: 0, host: '127.0.0.1', maxMessageBytes: 64 * 1024, closeTimeoutMs: 1_000, ...tls },
      tenants,
      ingest,
      logger,
    );
  }

  function send(port: number, raw: Buffer, to = 'support@acme.test') {
    const transport = createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
    return transport
      .sendMail({ envelope: { from: 'ada@customer.test', to: [to] }, raw })
      .finally(() => transport.close());
  }

  beforeAll(async () => {
    kafka = createKafkaClient({
      brokers: context.stack.kafkaBrokers.split(','),
      clientId: 'email-int',
    });
    unreachableKafka = createKafkaClient({
      brokers: ['127.0.0.1:1'],
      clientId: 'email-int-down',
      connectionTimeoutMs: 300,
    });
    await kafka.admin().ensureTopics([
      { name: inboundTopic, partitions: 2 },
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
    gateway = startGateway(kafka, 5_000);
    gatewayPort = await gateway.listen();
    gatewayWithoutKafka = startGateway(unreachableKafka, 1_000);
    downPort = await gatewayWithoutKafka.listen();
  }, 60_000);

  afterAll(async () => {
    await gateway?.close();
    await gatewayWithoutKafka?.close();
    await unreachableKafka?.close();
    await kafka
      ?.admin()
      .deleteTopics([inboundTopic, `${inboundTopic}.dlq`])
      .catch(() => undefined);
    await kafka?.close();
    redis?.disconnect();
    rmSync(storageDir, { recursive: true, force: true });
  }, 30_000);

  it('answers 250 only once the envelope is on Kafka, keyed by tenant and thread', async () => {
    const info = await send(
      gatewayPort,
      plainMail('Where is my parcel?', { messageId: '<p1@customer.test>' }),
    );
    expect(info.response).toMatch(/^250 2\.0\.0 queued as email-/);
    const envelope = await expectEventually(() => {
      const found = received.find((message) => message.externalMessageId === '<p1@customer.test>');
      if (!found) throw new Error('not on Kafka yet');
      return found;
    });
    expect(envelope).toMatchObject({
      tenantId: context.tenantId,
      channel: 'email',
      threadKey: '<p1@customer.test>',
      text: 'Where is my parcel?',
      sender: { kind: 'email', value: 'ada@customer.test', verified: false },
      authenticity: { dmarc: expect.any(String) as string },
    });
  }, 30_000);

  it('offers STARTTLS when a certificate is configured, and takes mail over it', async () => {
    const tlsKeyFile = join(storageDir, 'smtp.key');
    const tlsCertFile = join(storageDir, 'smtp.crt');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-keyout',
        tlsKeyFile,
        '-out',
        tlsCertFile,
      ],
      { stdio: 'ignore' },
    );
    const tlsGateway = startGateway(kafka, 5_000, { tlsKeyFile, tlsCertFile });
    const port = await tlsGateway.listen();
    const sendRequiringTls = (targetPort: number) => {
      const transport = createTransport({
        host: '127.0.0.1',
        port: targetPort,
        secure: false,
        requireTLS: true,
        tls: { rejectUnauthorized: false },
      });
      return transport
        .sendMail({
          envelope: { from: 'ada@customer.test', to: ['support@acme.test'] },
          raw: plainMail('Sent over TLS', { messageId: '<tls1@customer.test>' }),
        })
        .finally(() => transport.close());
    };
    try {
      expect((await sendRequiringTls(port)).response).toMatch(/^250 /);
      await expectEventually(() =>
        expect(received.map((message) => message.externalMessageId)).toContain(
          '<tls1@customer.test>',
        ),
      );
      // Without a certificate STARTTLS is not offered, so a client that insists is refused.
      await expect(sendRequiringTls(gatewayPort)).rejects.toThrow(/STARTTLS/);
    } finally {
      await tlsGateway.close();
    }
  }, 30_000);

  it('answers 451 while Kafka is unavailable; the sender’s retry then succeeds and nothing is lost', async () => {
    const raw = plainMail('Sent while Kafka was down', { messageId: '<retry@customer.test>' });
    await expect(send(downPort, raw)).rejects.toMatchObject({ responseCode: 451 });
    expect(received.some((m) => m.externalMessageId === '<retry@customer.test>')).toBe(false);
    await send(gatewayPort, raw);
    await expectEventually(() =>
      expect(received.filter((m) => m.externalMessageId === '<retry@customer.test>')).toHaveLength(
        1,
      ),
    );
  }, 30_000);

  it('keeps a Gmail, Outlook and Apple Mail reply chain in one thread', async () => {
    const quoted = 'Your parcel left our warehouse.';
    await send(gatewayPort, plainMail('My order is late', { messageId: '<c1@customer.test>' }));
    await send(
      gatewayPort,
      gmailReply('Any news?', quoted, {
        messageId: '<c2@customer.test>',
        inReplyTo: '<c1@customer.test>',
        references: '<c1@customer.test>',
      }),
    );
    await send(
      gatewayPort,
      outlookReply('Still nothing.', quoted, {
        messageId: '<c3@customer.test>',
        inReplyTo: '<c2@customer.test>',
      }),
    );
    await send(
      gatewayPort,
      appleMailReply('Arrived, thanks!', quoted, {
        messageId: '<c4@customer.test>',
        references: '<c1@customer.test> <c3@customer.test>',
      }),
    );
    const chain = await expectEventually(() => {
      const found = [
        '<c1@customer.test>',
        '<c2@customer.test>',
        '<c3@customer.test>',
        '<c4@customer.test>',
      ].map((id) => received.find((m) => m.externalMessageId === id));
      if (found.some((m) => m === undefined)) throw new Error('chain not complete');
      return found as InboundMessage[];
    });
    expect(new Set(chain.map((m) => m.threadKey))).toEqual(new Set(['<c1@customer.test>']));
    expect(chain.map((m) => m.text)).toEqual([
      'My order is late',
      'Any news?',
      'Still nothing.',
      'Arrived, thanks!',
    ]);
  }, 30_000);

  it('refuses unknown recipients (550), oversize mail (552) and hostile MIME (554) with clear reasons', async () => {
    await expect(send(gatewayPort, plainMail('x'), 'someone@elsewhere.test')).rejects.toMatchObject(
      {
        responseCode: 550,
        response: expect.stringContaining('no such support mailbox') as string,
      },
    );
    await expect(send(gatewayPort, plainMail('y'.repeat(80 * 1024)))).rejects.toMatchObject({
      responseCode: 552,
    });
    await expect(send(gatewayPort, deeplyNestedMail(80))).rejects.toMatchObject({
      responseCode: 554,
      response: expect.stringContaining(
        'Maximum MIME nesting depth of 50 levels exceeded',
      ) as string,
    });
    await expect(send(gatewayPort, hugeHeaderMail(40 * 1024))).resolves.toBeDefined();
  }, 30_000);
});
