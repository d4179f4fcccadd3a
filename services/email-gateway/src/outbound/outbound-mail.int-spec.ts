import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeEnvelope,
  type DeliveryStatus,
  deliveryStatusSchema,
  encodeEnvelope,
  type InboundMessage,
  inboundMessageSchema,
  type OutboundMessage,
} from '@switchboard/events';
import {
  createKafkaClient,
  DEAD_LETTER_HEADERS,
  type IncomingMessage,
  type KafkaClient,
  type MessageConsumer,
  type MessageProducer,
} from '@switchboard/kafka';
import { openRedisConnection, type RedisClient } from '@switchboard/redis';
import {
  createTestContext,
  expectEventually,
  type SmtpRelayStandIn,
  startSmtpRelayStandIn,
} from '@switchboard/testing';
import { createTransport } from 'nodemailer';
import pino from 'pino';
import { MailauthAuthenticator, stubResolver } from '../authenticity/mail-authenticator';
import { IngestMailUseCase } from '../inbound/ingest-mail.usecase';
import { DEFAULT_PARSE_LIMITS } from '../inbound/parsing/parse-mail';
import { systemClock } from '../shared/clock';
import { LocalDiskStorage } from '../storage/blob-storage';
import { TenantDirectory } from '../tenants/tenant-directory';
import { bounceFor, plainMail } from '../testing/mail-fixtures';
import { RedisThreadIndex } from '../threading/thread-index';
import { ThreadSigner } from '../threading/thread-signer';
import { SmtpInboundServer } from '../transport/smtp-inbound.server';
import { NodemailerMailTransport } from './nodemailer-mail-transport';
import { createOutboundMailConsumer, outboundMailHandler } from './outbound-mail.consumer';
import { RedisOutboundLedger } from './outbound-ledger';
import { ReportBounceUseCase } from './report-bounce.usecase';
import { SendOutboundMailUseCase } from './send-outbound-mail.usecase';

/**
 * Outbound mail on the real Kafka and Redis of the local stack; only the SMTP relay (outside
 * the machine in production) is the recording stand-in. The customer's answers come back through
 * our real inbound SMTP server, so threading is checked end to end.
 */
describe('outbound email: Kafka → relay → delivery status, and the way back', () => {
  const context = createTestContext('email outbound');
  const topics = {
    outbound: context.topic('outbound'),
    status: context.topic('status'),
    inbound: context.topic('inbound'),
  };
  const storageDir = mkdtempSync(join(tmpdir(), 'email-outbound-'));
  const logger = pino({ level: 'silent' });
  const signer = new ThreadSigner('integration-test-secret-0123456789');
  const tenants = new TenantDirectory([
    {
      id: context.tenantId,
      addresses: ['support@acme.test'],
      domains: [],
      fromName: 'Acme Support',
    },
  ]);
  const statuses: DeliveryStatus[] = [];
  const inbound: InboundMessage[] = [];
  const deadLetters: IncomingMessage[] = [];
  let kafka: KafkaClient;
  let redis: RedisClient;
  let relay: SmtpRelayStandIn;
  let transport: NodemailerMailTransport;
  let producer: MessageProducer;
  let smtp: SmtpInboundServer;
  let smtpPort = 0;
  const consumers: MessageConsumer[] = [];

  function collect(topic: string, into: (message: IncomingMessage) => void): MessageConsumer {
    const consumer = kafka.createConsumer({
      groupId: `${context.topicPrefix}${topic}-reader`,
      topics: [topic],
      fromBeginning: true,
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 500,
      handler: (message) => {
        into(message);
        return Promise.resolve();
      },
    });
    consumers.push(consumer);
    return consumer;
  }

  beforeAll(async () => {
    kafka = createKafkaClient({
      brokers: context.stack.kafkaBrokers.split(','),
      clientId: 'email-outbound-int',
    });
    await kafka.admin().ensureTopics(
      Object.values(topics).flatMap((name) => [
        { name, partitions: 2 },
        { name: `${name}.dlq`, partitions: 1 },
      ]),
    );
    redis = openRedisConnection({ url: context.stack.redisUrl, keyPrefix: context.redisKeyPrefix });
    relay = await startSmtpRelayStandIn();
    transport = new NodemailerMailTransport({ url: relay.url, timeoutMs: 3_000 });
    producer = kafka.createProducer();
    const threadIndex = new RedisThreadIndex(redis);
    const ledger = new RedisOutboundLedger(redis);
    const storage = new LocalDiskStorage(storageDir);

    const sendMail = new SendOutboundMailUseCase({
      transport,
      ledger,
      threadIndex,
      signer,
      tenants,
      storage,
      producer,
      clock: systemClock,
      maxAttempts: 3,
      deliveryStatusTopic: topics.status,
    });
    consumers.push(
      createOutboundMailConsumer(
        kafka,
        outboundMailHandler(sendMail, producer, topics.outbound, logger),
        {
          groupId: `${context.topicPrefix}email-outbound`,
          outboundTopic: topics.outbound,
          maxAttempts: 3,
          retryBaseMs: 50,
          retryMaxDelayMs: 200,
          sessionTimeoutMs: 6_000,
          heartbeatIntervalMs: 500,
        },
      ),
    );
    collect(topics.status, (m) =>
      statuses.push(decodeEnvelope('delivery status', deliveryStatusSchema, m.value)),
    );
    collect(topics.inbound, (m) =>
      inbound.push(decodeEnvelope('inbound message', inboundMessageSchema, m.value)),
    );
    collect(`${topics.outbound}.dlq`, (m) => deadLetters.push(m));
    await Promise.all(consumers.map((consumer) => consumer.start()));

    const ingest = new IngestMailUseCase({
      producer,
      storage,
      threadIndex,
      signer,
      authenticator: new MailauthAuthenticator(stubResolver({}), 'test-mx'),
      limits: { ...DEFAULT_PARSE_LIMITS, maxAttachmentBytes: 1024 * 1024, maxBodyChars: 100_000 },
      inboundTopic: topics.inbound,
      bounceReporter: new ReportBounceUseCase({
        ledger,
        producer,
        clock: systemClock,
        deliveryStatusTopic: topics.status,
      }),
    });
    smtp = new SmtpInboundServer(
      { port: 0, host: '127.0.0.1', maxMessageBytes: 1024 * 1024, closeTimeoutMs: 1_000 },
      tenants,
      ingest,
      logger,
    );
    smtpPort = await smtp.listen();
  }, 60_000);

  afterAll(async () => {
    await smtp?.close();
    await Promise.all(consumers.map((consumer) => consumer.stop()));
    await producer?.disconnect();
    transport?.close();
    await relay?.close();
    await kafka
      ?.admin()
      .deleteTopics(Object.values(topics).flatMap((name) => [name, `${name}.dlq`]))
      .catch(() => undefined);
    await kafka?.close();
    redis?.disconnect();
    rmSync(storageDir, { recursive: true, force: true });
  }, 30_000);

  function reply(id: string, overrides: Partial<OutboundMessage> = {}): OutboundMessage {
    return {
      schemaVersion: 1,
      tenantId: context.tenantId,
      messageId: id,
      conversationId: `conv-${id}`,
      channel: 'email',
      threadKey: `<root-${id}@customer.test>`,
      recipient: { kind: 'email', value: 'ada@customer.test', verified: true },
      authorAgentId: 'agent-7',
      subject: 'Re: Order 1234 has not arrived',
      text: `Reply ${id}`,
      attachments: [],
      inReplyTo: [`<root-${id}@customer.test>`],
      createdAt: new Date().toISOString(),
      ...overrides,
    };
  }

  async function publish(...messages: OutboundMessage[]): Promise<void> {
    await producer.send(
      topics.outbound,
      messages.map((message) => ({ key: message.conversationId, value: encodeEnvelope(message) })),
    );
  }

  function statusesOf(messageId: string): string[] {
    return statuses.filter((s) => s.messageId === messageId).map((s) => s.status);
  }

  function mailsTo(text: string) {
    return relay.messages.filter((mail) => mail.text?.includes(text));
  }

  function sendInbound(raw: Buffer, to: string) {
    const client = createTransport({ host: '127.0.0.1', port: smtpPort, secure: false });
    return client
      .sendMail({ envelope: { from: 'ada@customer.test', to: [to] }, raw })
      .finally(() => client.close());
  }

  async function inboundWithId(messageId: string): Promise<InboundMessage> {
    return expectEventually(() => {
      const found = inbound.find((m) => m.externalMessageId === messageId);
      if (!found) throw new Error(`${messageId} not on Kafka yet`);
      return found;
    });
  }

  it('sends a threaded reply through the relay, reports it sent, and the customer’s answer finds the thread', async () => {
    const root = '<root-a@customer.test>';
    await sendInbound(plainMail('Where is my parcel?', { messageId: root }), 'support@acme.test');
    expect((await inboundWithId(root)).threadKey).toBe(root);

    await publish(reply('a'));
    const ourId = signer.outboundMessageId(context.tenantId, 'a', 'acme.test');
    const sent = await expectEventually(() => {
      const found = statuses.find((s) => s.messageId === 'a' && s.status === 'sent');
      if (!found) throw new Error('no sent status yet');
      return found;
    });
    expect(sent).toMatchObject({ conversationId: 'conv-a', externalMessageId: ourId });
    const [mail] = mailsTo('Reply a');
    const replyTo = signer.replyToAddress(context.tenantId, 'support@acme.test', root);
    expect(mail?.envelope).toEqual({ from: 'support@acme.test', to: ['ada@customer.test'] });
    expect(mail?.headers).toMatchObject({
      from: 'Acme Support <support@acme.test>',
      to: 'ada@customer.test',
      'reply-to': replyTo,
      'message-id': ourId,
      'in-reply-to': root,
      references: root,
    });
    expect(mail?.subject).toBe(
      `Re: Order 1234 has not arrived ${signer.subjectMarker(context.tenantId, root)}`,
    );

    // Gmail-style answer: to the Reply-To address, In-Reply-To our Message-ID.
    await sendInbound(
      plainMail('Thanks, got it.', {
        to: replyTo,
        messageId: '<answer-a1@customer.test>',
        inReplyTo: ourId,
        references: `${root} ${ourId}`,
      }),
      replyTo,
    );
    // A client that drops In-Reply-To and References: the signed plus-address alone threads it.
    await sendInbound(
      plainMail('One more thing.', { to: replyTo, messageId: '<answer-a2@customer.test>' }),
      replyTo,
    );
    expect((await inboundWithId('<answer-a1@customer.test>')).threadKey).toBe(root);
    const second = await inboundWithId('<answer-a2@customer.test>');
    expect(second.threadKey).toBe(root);
    expect(second.metadata['email.threadMatchedBy']).toBe('token');
  }, 30_000);

  it('acknowledges other channels without mailing, and never mails a redelivered message twice', async () => {
    const chat = reply('b-chat', { channel: 'chat', conversationId: 'conv-b' });
    const email = reply('b', { conversationId: 'conv-b' });
    // One key, one partition: once the second copy is handled, everything before it was too.
    await publish(chat, email, email);
    await expectEventually(() => expect(statusesOf('b')).toEqual(['sent', 'sent']));
    expect(mailsTo('Reply b')).toHaveLength(1);
    expect(mailsTo('Reply b-chat')).toHaveLength(0);
    expect(statusesOf('b-chat')).toEqual([]);
  }, 30_000);

  it('reports deferred while the relay answers 4xx, then sent once it accepts', async () => {
    relay.failNext({ code: 451, message: '4.3.0 try again later' }, 2);
    await publish(reply('c'));
    await expectEventually(() => expect(statusesOf('c')).toEqual(['deferred', 'deferred', 'sent']));
    expect(statuses.find((s) => s.messageId === 'c')).toMatchObject({ errorCode: '451' });
    expect(mailsTo('Reply c')).toHaveLength(1);
  }, 30_000);

  it('fails a 5xx with the SMTP code and dead-letters the message with the reason', async () => {
    relay.failNext({ code: 550, message: '5.1.1 mailbox unavailable' });
    await publish(reply('d'));
    const failed = await expectEventually(() => {
      const found = statuses.find((s) => s.messageId === 'd' && s.status === 'failed');
      if (!found) throw new Error('no failed status yet');
      return found;
    });
    expect(failed).toMatchObject({ errorCode: '550' });
    expect(failed.errorMessage).toContain('mailbox unavailable');
    const parked = await expectEventually(() => {
      const found = deadLetters.find((m) => m.value?.toString().includes('"messageId":"d"'));
      if (!found) throw new Error('not dead-lettered yet');
      return found;
    });
    expect(parked.headers[DEAD_LETTER_HEADERS.reason]).toMatch(/^550: relay refused the message/);
    expect(statusesOf('d')).toEqual(['failed']);
    expect(mailsTo('Reply d')).toHaveLength(0);
  }, 30_000);

  it('dead-letters an invalid envelope at once, with the validation error as its reason', async () => {
    await producer.send(topics.outbound, [{ key: 'conv-x', value: '{"schemaVersion":1}' }]);
    const parked = await expectEventually(() => {
      const found = deadLetters.find((m) => m.key === 'conv-x');
      if (!found) throw new Error('not dead-lettered yet');
      return found;
    });
    expect(parked.headers[DEAD_LETTER_HEADERS.reason]).toContain('invalid outbound message');
  }, 30_000);

  it('turns a bounce of our Message-ID into a bounced status of that message', async () => {
    await publish(
      reply('e', { recipient: { kind: 'email', value: 'gone@customer.test', verified: false } }),
    );
    await expectEventually(() => expect(statusesOf('e')).toEqual(['sent']));
    const ourId = signer.outboundMessageId(context.tenantId, 'e', 'acme.test');
    await sendInbound(bounceFor(ourId, 'gone@customer.test'), 'support@acme.test');
    await expectEventually(() => expect(statusesOf('e')).toEqual(['sent', 'bounced']));
    expect(statuses.find((s) => s.messageId === 'e' && s.status === 'bounced')).toMatchObject({
      conversationId: 'conv-e',
      externalMessageId: ourId,
      errorCode: '5.1.1',
    });
  }, 30_000);
});
