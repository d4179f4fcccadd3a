import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@switchboard/config';
import {
  type DeliveryStatus,
  decodeEnvelope,
  deliveryStatusSchema,
  encodeEnvelope,
  type InboundMessage,
  inboundMessageSchema,
  inboundMessageIdOf,
  type OutboundMessage,
} from '@switchboard/events';
import type { MessageProducer } from '@switchboard/kafka';
import {
  createTestContext,
  expectEventually,
  freePort,
  type TestContext,
} from '@switchboard/testing';
import { io, type Socket } from 'socket.io-client';
import { AppModule } from './app.module';
import type { ChatGatewayWiring } from './chat-gateway.wiring';
import { type ChatKafkaKit, startChatKafkaKit } from './chat-kafka-kit.test-helper';
import { chatGatewayEnvSchema, type ChatGatewayConfig } from './config/chat-gateway.config';
import { parseChatTenants } from './config/chat-tenants.config';
import { OutboundMessageConsumer } from './outbound/outbound-message.consumer';
import { signUserId } from './sessions/identity-verification.util';

/**
 * Two gateway replicas in-process on the real Kafka and Redis of the local stack (they share
 * nothing but Kafka and Redis), plus a third deployment whose Kafka is unreachable. Visitors are
 * real socket.io clients.
 */

const ORIGIN = 'https://shop.example';
const IDENTITY_SECRET = 'shop-identity-secret-0123456789';
const SESSION_LIMIT = 5;
const OFFLINE_IP_LIMIT = 4;

interface AgentMessage {
  id: string;
  text: string;
}
interface SessionInfo {
  sessionToken?: string;
  visitorId: string;
  verified: boolean;
}
interface Answer {
  ok: boolean;
  messageId?: string;
  conversationMessageId?: string;
  duplicate?: boolean;
  error?: { code: string; message: string; retryable: boolean };
}

/** A visitor's socket that records what the gateway sends it. */
class Visitor {
  readonly received: AgentMessage[] = [];
  readonly errors: { event: string; code: string }[] = [];
  readonly session: Promise<SessionInfo>;

  constructor(readonly socket: Socket) {
    socket.on('agent:message', (message: AgentMessage) => this.received.push(message));
    socket.on('chat:error', (error: { event: string; code: string }) => this.errors.push(error));
    this.session = new Promise((resolve) => socket.once('session', resolve));
  }

  async send(event: string, payload: unknown): Promise<Answer> {
    return (await this.socket.timeout(10_000).emitWithAck(event, payload)) as Answer;
  }

  close(): void {
    this.socket.disconnect();
  }
}

describe('chat gateway on the real stack', () => {
  let context: TestContext;
  let kit: ChatKafkaKit | undefined;
  let producer: MessageProducer;
  let wiring: ChatGatewayWiring;
  let replicaA: INestApplication;
  let replicaB: INestApplication;
  let kafkaless: INestApplication;
  let untrusting: INestApplication;
  let urlA: string;
  let urlB: string;
  let urlKafkaless: string;
  let urlUntrusting: string;
  const visitors: Visitor[] = [];
  const inbound: { key: string | null; envelope: InboundMessage }[] = [];
  const statuses: DeliveryStatus[] = [];
  let replySequence = 0;

  const tenantsYaml = (tenantId: string) => `
tenants:
  - id: ${tenantId}
    allowedOrigins: ['${ORIGIN}']
    identitySecret: ${IDENTITY_SECRET}
    prechatTopics: [billing, technical]
  - id: ${tenantId}-other
    allowedOrigins: ['https://other.example']
`;

  beforeAll(async () => {
    context = createTestContext('chat gateway');
    kit = await startChatKafkaKit(context, {
      clientId: 'chat-gateway-test',
      observe: {
        topics: ['inboundMessages', 'deliveryStatus'],
        onMessage: (message, topics) => {
          if (message.topic === topics.inboundMessages) {
            inbound.push({
              key: message.key,
              envelope: decodeEnvelope('inbound', inboundMessageSchema, message.value),
            });
          } else {
            statuses.push(decodeEnvelope('status', deliveryStatusSchema, message.value));
          }
        },
      },
    });
    ({ wiring, producer } = kit);

    const env = {
      KAFKA_BROKERS: context.stack.kafkaBrokers,
      REDIS_URL: context.stack.redisUrl,
      REDIS_KEY_PREFIX: context.redisKeyPrefix,
      LOG_LEVEL: 'silent',
      KAFKA_TOPIC_PARTITIONS: '1',
      CHAT_MAX_MESSAGE_BYTES: '1000',
      CHAT_SESSION_MESSAGES_PER_MINUTE: String(SESSION_LIMIT),
    };
    const config: ChatGatewayConfig = {
      ...loadConfig(chatGatewayEnvSchema, env),
      tenants: parseChatTenants(tenantsYaml(context.tenantId)),
    };
    replicaA = await startApp(config);
    replicaB = await startApp(config);
    // Another deployment (own Redis prefix) whose Kafka does not answer.
    // Another deployment (own Redis prefix) whose Kafka does not answer, behind a proxy on
    // 127.0.0.1; and one more that trusts only a range the test's connections do not come from.
    const unreachableKafka = [`127.0.0.1:${await freePort()}`];
    kafkaless = await startApp({
      ...config,
      KAFKA_BROKERS: unreachableKafka,
      KAFKA_SEND_TIMEOUT_MS: 1_000,
      REDIS_KEY_PREFIX: `${context.redisKeyPrefix}kafkaless:`,
      CHAT_IP_EVENTS_PER_MINUTE: OFFLINE_IP_LIMIT,
      CHAT_TRUSTED_PROXIES: '127.0.0.1',
    });
    untrusting = await startApp({
      ...config,
      KAFKA_BROKERS: unreachableKafka,
      REDIS_KEY_PREFIX: `${context.redisKeyPrefix}untrusting:`,
      CHAT_IP_EVENTS_PER_MINUTE: OFFLINE_IP_LIMIT,
      CHAT_TRUSTED_PROXIES: '10.0.0.0/8',
    });
    const urls = await Promise.all(
      [replicaA, replicaB, kafkaless, untrusting].map(async (app) =>
        (await app.getUrl()).replace('[::1]', '127.0.0.1'),
      ),
    );
    [urlA, urlB, urlKafkaless, urlUntrusting] = urls as [string, string, string, string];
    // Both replicas are in the consumer group before replies are produced.
    await expectEventually(
      () => {
        const owners = [replicaA, replicaB].filter(
          (app) => app.get(OutboundMessageConsumer).assignedPartitions().length > 0,
        );
        expect(owners).toHaveLength(1);
      },
      { timeoutMs: 30_000 },
    );
  }, 90_000);

  afterAll(async () => {
    for (const visitor of visitors) visitor.close();
    await Promise.all([
      replicaA?.close(),
      replicaB?.close(),
      kafkaless?.close(),
      untrusting?.close(),
    ]);
    await kit?.close();
  }, 30_000);

  async function startApp(appConfig: ChatGatewayConfig): Promise<INestApplication> {
    const app = await NestFactory.create(AppModule.forRoot(appConfig, wiring), { logger: false });
    await app.listen(0, '127.0.0.1');
    return app;
  }

  /** Opens a visitor socket; resolves once admitted, rejects with the gateway's refusal. */
  async function connect(
    url: string,
    auth: Record<string, unknown>,
    origin = ORIGIN,
    headers: Record<string, string> = {},
  ): Promise<Visitor> {
    const socket = io(url, {
      path: '/chat/socket',
      transports: ['websocket'],
      auth,
      extraHeaders: { origin, ...headers },
      reconnection: false,
      forceNew: true,
    });
    const visitor = new Visitor(socket);
    visitors.push(visitor);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (error: Error & { data?: unknown }) =>
        reject(Object.assign(new Error(error.message), { data: error.data })),
      );
    });
    return visitor;
  }

  const refusalOf = async (
    attempt: Promise<unknown>,
  ): Promise<{ code: string; message: string }> => {
    try {
      await attempt;
    } catch (error) {
      return (error as { data: { code: string; message: string } }).data;
    }
    throw new Error('the connection was admitted');
  };

  function reply(visitor: SessionInfo, threadKey: string, text: string): OutboundMessage {
    replySequence += 1;
    return {
      schemaVersion: 1,
      tenantId: context.tenantId,
      messageId: `reply-${replySequence}-${Date.now()}`,
      conversationId: `conv-${threadKey}`,
      channel: 'chat',
      threadKey,
      recipient: { kind: 'chat_visitor', value: visitor.visitorId, verified: false },
      authorAgentId: 'agent-7',
      text,
      attachments: [],
      inReplyTo: [],
      createdAt: new Date().toISOString(),
    };
  }

  async function produceReplies(...replies: OutboundMessage[]): Promise<void> {
    await producer.send(
      wiring.topics.outboundMessages,
      replies.map((message) => ({ key: message.conversationId, value: encodeEnvelope(message) })),
    );
  }

  const anonymousThread = (session: SessionInfo) => `visitor:${session.visitorId}`;

  it('refuses unknown tenants, foreign origins and other tenants’ session tokens with clear errors', async () => {
    expect(await refusalOf(connect(urlA, { tenantId: 'no-such-tenant' }))).toMatchObject({
      code: 'unknown_tenant',
    });
    expect(
      await refusalOf(connect(urlA, { tenantId: context.tenantId }, 'https://evil.example')),
    ).toEqual({
      code: 'origin_not_allowed',
      message: `origin https://evil.example is not allowed for this tenant`,
      retryable: false,
    });
    expect(await refusalOf(connect(urlA, { tenantId: 42 }))).toMatchObject({
      code: 'invalid_payload',
    });

    const visitor = await connect(urlA, { tenantId: context.tenantId });
    const { sessionToken } = await visitor.session;
    expect(sessionToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(
      await refusalOf(
        connect(
          urlA,
          { tenantId: `${context.tenantId}-other`, sessionToken },
          'https://other.example',
        ),
      ),
    ).toMatchObject({ code: 'session_unknown' });
  });

  it('verifies a signed visitor and rejects a forged hash', async () => {
    const userId = 'user-1001';
    const forged = signUserId('not-the-tenant-secret-at-all', userId);
    expect(
      await refusalOf(
        connect(urlA, { tenantId: context.tenantId, identity: { userId, userHash: forged } }),
      ),
    ).toEqual({
      code: 'identity_rejected',
      message: 'identity verification failed: userHash does not match userId',
      retryable: false,
    });

    const userHash = signUserId(IDENTITY_SECRET, userId);
    const visitor = await connect(urlA, {
      tenantId: context.tenantId,
      identity: { userId, userHash },
      prechat: { name: 'Ada', email: 'ada@example.com', topic: 'billing' },
    });
    expect(await visitor.session).toMatchObject({ visitorId: userId, verified: true });
    expect(
      await visitor.send('message:send', { clientMessageId: 'v-1', text: 'hello, verified' }),
    ).toMatchObject({
      ok: true,
    });
    const message = await expectEventually(() => {
      const found = inbound.find((entry) => entry.envelope.text === 'hello, verified');
      expect(found).toBeDefined();
      return found!;
    });
    expect(message.key).toBe(`${context.tenantId}|chat|user:${userId}`);
    expect(message.envelope).toMatchObject({
      channel: 'chat',
      threadKey: `user:${userId}`,
      externalMessageId: `${userId}:v-1`,
      sender: { kind: 'chat_visitor', value: userId, displayName: 'Ada', verified: true },
      metadata: { preChatTopic: 'billing', preChatEmail: 'ada@example.com' },
    });
  });

  it('takes the pre-chat form after connecting, refuses bad fields by name, and routes on the topic', async () => {
    expect(
      await refusalOf(connect(urlA, { tenantId: context.tenantId, prechat: { topic: 'refunds' } })),
    ).toEqual({
      code: 'invalid_prechat',
      message:
        'invalid pre-chat form: topic: "refunds" is not offered; choose one of: billing, technical',
      retryable: false,
    });
    const visitor = await connect(urlA, { tenantId: context.tenantId });
    const session = (await visitor.session) as SessionInfo & {
      prechatTopics: string[];
      prechat: object;
    };
    expect(session).toMatchObject({ prechatTopics: ['billing', 'technical'], prechat: {} });
    const refused = async (form: unknown) => (await visitor.send('prechat:submit', form)).error;
    expect(await refused({ name: 'Ada', topic: 'refunds' })).toEqual({
      code: 'invalid_prechat',
      message:
        'invalid pre-chat form: topic: "refunds" is not offered; choose one of: billing, technical',
      retryable: false,
    });
    expect(await refused({ name: 'A'.repeat(101) })).toMatchObject({
      code: 'invalid_prechat',
      message: 'invalid pre-chat form: name: must be at most 100 characters',
    });
    expect(await refused({ name: '<img src=x onerror=alert(1)>' })).toMatchObject({
      message: 'invalid pre-chat form: name: must not contain "<", ">" or control characters',
    });
    expect(await refused({ name: 'Ada', email: 'not-an-address' })).toMatchObject({
      message: 'invalid pre-chat form: email: must be a valid email address',
    });
    expect(await refused('Ada')).toMatchObject({ code: 'invalid_prechat' });
    expect(await refused({ name: 'Ada', email: 'x'.repeat(10_000) })).toMatchObject({
      message: 'invalid pre-chat form: email: must be at most 254 characters',
    });
    // Without an ack callback the refusal arrives as an event naming the event.
    visitor.socket.emit('prechat:submit', { topic: 'refunds' });
    await expectEventually(() =>
      expect(visitor.errors).toContainEqual(
        expect.objectContaining({ event: 'prechat:submit', code: 'invalid_prechat' }),
      ),
    );

    const form = { name: "Zoë O'Brien", email: 'zoe@example.com', topic: 'technical' };
    expect(await visitor.send('prechat:submit', form)).toEqual({ ok: true, prechat: form });
    expect(
      await visitor.send('message:send', { clientMessageId: 'p-1', text: 'my router blinks' }),
    ).toMatchObject({ ok: true });
    const message = await expectEventually(() => {
      const found = inbound.find((entry) => entry.envelope.text === 'my router blinks');
      expect(found).toBeDefined();
      return found!;
    });
    expect(message.envelope).toMatchObject({
      sender: {
        kind: 'chat_visitor',
        value: session.visitorId,
        displayName: "Zoë O'Brien",
        verified: false,
      },
      metadata: { preChatTopic: 'technical', preChatEmail: 'zoe@example.com' },
    });
    // The answers belong to the session: another replica resumes them.
    const resumed = await connect(urlB, {
      tenantId: context.tenantId,
      sessionToken: session.sessionToken,
    });
    expect(await resumed.session).toMatchObject({ prechat: form });
    expect(visitor.socket.connected).toBe(true);
  });

  it('puts a message on Kafka before the ack and never twice for a retried client message id', async () => {
    const visitor = await connect(urlA, { tenantId: context.tenantId });
    const session = await visitor.session;
    const first = await visitor.send('message:send', {
      clientMessageId: 'c-1',
      text: 'my order is late',
    });
    expect(first).toMatchObject({ ok: true, duplicate: false });
    // The ack came after Kafka's: the message is readable now.
    const published = await expectEventually(() => {
      const found = inbound.find((entry) => entry.envelope.messageId === first.messageId);
      expect(found).toBeDefined();
      return found!.envelope;
    });
    // The ack names the id the conversation service will store the message under.
    expect(first.conversationMessageId).toBe(
      inboundMessageIdOf(context.tenantId, 'chat', published.externalMessageId),
    );
    // A retry through the other replica, e.g. after the visitor's socket moved.
    const resumed = await connect(urlB, {
      tenantId: context.tenantId,
      sessionToken: session.sessionToken,
    });
    const retry = await resumed.send('message:send', {
      clientMessageId: 'c-1',
      text: 'my order is late',
    });
    expect(retry).toEqual({
      ok: true,
      clientMessageId: 'c-1',
      messageId: first.messageId,
      conversationMessageId: first.conversationMessageId,
      duplicate: true,
    });
    // Same partition key, so a duplicate would arrive before this later message.
    await resumed.send('message:send', { clientMessageId: 'c-2', text: 'still waiting' });
    await expectEventually(() =>
      expect(inbound.some((entry) => entry.envelope.text === 'still waiting')).toBe(true),
    );
    const copies = inbound.filter((entry) => entry.envelope.messageId === first.messageId);
    expect(copies).toHaveLength(1);
    expect(copies[0]?.envelope).toMatchObject({
      threadKey: anonymousThread(session),
      externalMessageId: `${session.visitorId}:c-1`,
      sender: { verified: false },
    });
  });

  it('answers hostile input with clear errors and keeps the socket working', async () => {
    const visitor = await connect(urlA, { tenantId: context.tenantId });
    await visitor.session;
    const oversize = await visitor.send('message:send', {
      clientMessageId: 'h-1',
      text: 'é'.repeat(501),
    });
    expect(oversize.error).toMatchObject({
      code: 'message_too_large',
      message: 'text is 1002 bytes; the limit is 1000',
    });
    const invalidUtf8 = await visitor.send('message:send', {
      clientMessageId: 'h-2',
      text: Buffer.from([0x68, 0xc3, 0x28, 0xff]),
    });
    expect(invalidUtf8.error).toMatchObject({
      code: 'invalid_text',
      message: 'text must be a UTF-8 string',
    });
    const loneSurrogate = await visitor.send('message:send', {
      clientMessageId: 'h-3',
      text: 'a\ud800b',
    });
    expect(loneSurrogate.error).toMatchObject({ code: 'invalid_text' });
    expect(
      (await visitor.send('message:send', { clientMessageId: 'h-4', text: 42 })).error,
    ).toMatchObject({
      code: 'invalid_text',
    });
    expect((await visitor.send('message:send', 'just a string')).error).toMatchObject({
      code: 'invalid_payload',
    });
    expect(
      (await visitor.send('message:send', { clientMessageId: '../../etc', text: 'x' })).error,
    ).toMatchObject({
      code: 'invalid_payload',
    });
    // Without an ack callback the refusal arrives as an event.
    visitor.socket.emit('message:send', null);
    visitor.socket.emit('no-such-event', {});
    await expectEventually(() =>
      expect(visitor.errors.map((error) => error.code)).toEqual([
        'invalid_payload',
        'invalid_payload',
      ]),
    );
    // Markup is data: it travels to Kafka exactly as typed (the widget renders it as text).
    const markup = '<script>alert(1)</script><img src=x onerror=alert(2)>';
    expect(
      await visitor.send('message:send', { clientMessageId: 'h-5', text: markup }),
    ).toMatchObject({ ok: true });
    await expectEventually(() =>
      expect(inbound.some((entry) => entry.envelope.text === markup)).toBe(true),
    );
    expect(visitor.socket.connected).toBe(true);
  });

  it('limits messages per session across replicas', async () => {
    const visitor = await connect(urlA, { tenantId: context.tenantId });
    const { sessionToken } = await visitor.session;
    const onB = await connect(urlB, { tenantId: context.tenantId, sessionToken });
    const answers: Answer[] = [];
    // Fixed one-minute windows: within 2 × limit + 1 messages a refusal must come, whatever the
    // window boundary.
    for (let index = 0; index <= 2 * SESSION_LIMIT; index += 1) {
      const sender = index % 2 === 0 ? visitor : onB;
      const answer = await sender.send('message:send', {
        clientMessageId: `r-${index}`,
        text: `n${index}`,
      });
      answers.push(answer);
      if (!answer.ok) break;
    }
    expect(answers.at(-1)?.error).toMatchObject({ code: 'rate_limited', retryable: true });
    expect(answers.filter((answer) => answer.ok).length).toBeGreaterThanOrEqual(SESSION_LIMIT);
  });

  it('answers "retry later" while Kafka is down, and limits connections per IP', async () => {
    const visitor = await connect(urlKafkaless, { tenantId: context.tenantId });
    await visitor.session;
    const answer = await visitor.send('message:send', {
      clientMessageId: 'k-1',
      text: 'anyone there?',
    });
    expect(answer).toMatchObject({
      ok: false,
      error: { code: 'temporarily_unavailable', retryable: true },
    });
    // Not marked accepted: the retry is attempted again rather than answered as a duplicate.
    const retry = await visitor.send('message:send', {
      clientMessageId: 'k-1',
      text: 'anyone there?',
    });
    expect(retry.error?.code).toBe('temporarily_unavailable');

    let refusal: { code: string } | undefined;
    for (let attempt = 0; attempt <= 2 * OFFLINE_IP_LIMIT && !refusal; attempt += 1) {
      refusal = await connect(urlKafkaless, { tenantId: context.tenantId }).then(
        () => undefined,
        (error: { data: { code: string } }) => error.data,
      );
    }
    expect(refusal).toMatchObject({ code: 'rate_limited' });
  });

  it('delivers agent replies to visitors on either replica and reports delivered and read once', async () => {
    const onA = await connect(urlA, { tenantId: context.tenantId });
    const onB = await connect(urlB, { tenantId: context.tenantId });
    const [sessionA, sessionB] = await Promise.all([onA.session, onB.session]);
    const toA = reply(sessionA, anonymousThread(sessionA), 'hello A');
    const toB = reply(sessionB, anonymousThread(sessionB), 'hello B');
    await produceReplies(toA, toB);
    // Exactly one replica consumes the single partition; the other replica's visitor got its
    // reply only through the Redis adapter.
    await expectEventually(() => {
      expect(onA.received.map((message) => message.text)).toEqual(['hello A']);
      expect(onB.received.map((message) => message.text)).toEqual(['hello B']);
    });
    expect(await onA.send('message:ack', { messageIds: [toA.messageId] })).toEqual({ ok: true });
    expect(await onB.send('message:read', { messageIds: [toB.messageId] })).toEqual({ ok: true });
    expect(await onB.send('message:read', { messageIds: [toB.messageId] })).toEqual({ ok: true });
    expect(await onA.send('message:ack', { messageIds: [toA.messageId] })).toEqual({ ok: true });
    // A visitor cannot read another thread's reply.
    expect((await onA.send('message:read', { messageIds: [toB.messageId] })).error).toMatchObject({
      code: 'unknown_message',
    });
    const marker = reply(sessionA, anonymousThread(sessionA), 'marker');
    await produceReplies(marker);
    await expectEventually(() =>
      expect(onA.received.map((message) => message.text)).toContain('marker'),
    );
    await onA.send('message:ack', { messageIds: [marker.messageId] });
    await expectEventually(() =>
      expect(statuses.some((status) => status.messageId === marker.messageId)).toBe(true),
    );
    const of = (messageId: string) =>
      statuses.filter((status) => status.messageId === messageId).map((status) => status.status);
    expect(of(toA.messageId)).toEqual(['delivered']);
    expect(of(toB.messageId)).toEqual(['delivered', 'read']);
    expect(statuses.find((status) => status.messageId === toB.messageId)).toMatchObject({
      tenantId: context.tenantId,
      conversationId: toB.conversationId,
      channel: 'chat',
    });
  });

  it('keeps replies while the visitor is away and delivers them on return, in order, once', async () => {
    const first = await connect(urlA, { tenantId: context.tenantId });
    const session = await first.session;
    const thread = anonymousThread(session);
    first.close();
    const pendingBefore = await metric(urlA, 'switchboard_chat_unacked_replies');
    const replies = ['one', 'two', 'three'].map((text) => reply(session, thread, text));
    await produceReplies(...replies);
    // A Kafka redelivery of an already queued reply must not queue it twice.
    await produceReplies(replies[0]!);
    // The visitor returns once the replies wait in the mailbox: a reconnection while they are
    // still being consumed gets some live and some replayed, and only the widget's dedupe by id
    // puts them in order.
    await expectEventually(async () =>
      expect(await metric(urlA, 'switchboard_chat_unacked_replies')).toBe(pendingBefore + 3),
    );

    const back = await connect(urlB, {
      tenantId: context.tenantId,
      sessionToken: session.sessionToken,
    });
    await expectEventually(() =>
      expect(back.received.map((message) => message.text)).toEqual(['one', 'two', 'three']),
    );
    // Only the first two are acknowledged before the socket drops again.
    await back.send('message:ack', { messageIds: [replies[0]!.messageId, replies[1]!.messageId] });
    back.close();

    const again = await connect(urlA, {
      tenantId: context.tenantId,
      sessionToken: session.sessionToken,
    });
    await expectEventually(() =>
      expect(again.received.map((message) => message.text)).toEqual(['three']),
    );
    await again.send('message:ack', { messageIds: [replies[2]!.messageId] });
    // A redelivery of a delivered reply is not sent again: the next thing to arrive is the new one.
    await produceReplies(replies[1]!, reply(session, thread, 'four'));
    await expectEventually(() =>
      expect(again.received.map((message) => message.text)).toEqual(['three', 'four']),
    );
  });

  /** One sample from a replica's /metrics, 0 when the series does not exist yet. */
  async function metric(url: string, name: string, labels: Record<string, string> = {}) {
    const body = await (await fetch(`${url}/metrics`)).text();
    const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
    const line = body
      .split('\n')
      .find(
        (candidate) =>
          candidate.startsWith(`${name}{`) && wanted.every((pair) => candidate.includes(pair)),
      );
    return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
  }

  it('reports sockets, accepted and rejected messages, delivered and pending replies on /metrics', async () => {
    const read = async () => ({
      connected: await metric(urlA, 'switchboard_chat_connected_sockets'),
      accepted: await metric(urlA, 'switchboard_chat_messages_accepted_total', {
        duplicate: 'false',
      }),
      duplicates: await metric(urlA, 'switchboard_chat_messages_accepted_total', {
        duplicate: 'true',
      }),
      tooLarge: await metric(urlA, 'switchboard_chat_messages_rejected_total', {
        reason: 'message_too_large',
      }),
      foreignOrigin: await metric(urlA, 'switchboard_chat_connections_rejected_total', {
        reason: 'origin_not_allowed',
      }),
      delivered: await metric(urlA, 'switchboard_chat_replies_delivered_total'),
      pending: await metric(urlA, 'switchboard_chat_unacked_replies'),
    });
    const before = await read();

    const visitor = await connect(urlA, { tenantId: context.tenantId });
    const session = await visitor.session;
    await refusalOf(connect(urlA, { tenantId: context.tenantId }, 'https://evil.example'));
    const message = { clientMessageId: 'metrics-1', text: 'counted' };
    expect(await visitor.send('message:send', message)).toMatchObject({ ok: true });
    expect(await visitor.send('message:send', message)).toMatchObject({ duplicate: true });
    expect(
      await visitor.send('message:send', { clientMessageId: 'metrics-2', text: 'x'.repeat(1001) }),
    ).toMatchObject({ ok: false });
    const waiting = reply(session, anonymousThread(session), 'counted reply');
    await produceReplies(waiting);
    await expectEventually(() =>
      expect(visitor.received.map((received) => received.id)).toContain(waiting.messageId),
    );

    expect(await read()).toEqual({
      ...before,
      connected: before.connected + 1,
      accepted: before.accepted + 1,
      duplicates: before.duplicates + 1,
      tooLarge: before.tooLarge + 1,
      foreignOrigin: before.foreignOrigin + 1,
      pending: before.pending + 1,
    });

    await visitor.send('message:ack', { messageIds: [waiting.messageId] });
    visitor.close();
    await expectEventually(async () =>
      expect(await read()).toMatchObject({
        connected: before.connected,
        delivered: before.delivered + 1,
        pending: before.pending,
      }),
    );
  });

  it('counts X-Forwarded-For clients separately only behind a trusted proxy', async () => {
    /** 'admitted' or the refusal's code, for a connection forwarded for `forwardedFor`. */
    const attempt = (url: string, forwardedFor: string): Promise<string> =>
      connect(url, { tenantId: context.tenantId }, ORIGIN, {
        'x-forwarded-for': forwardedFor,
      }).then(
        (visitor) => {
          visitor.close();
          return 'admitted';
        },
        (error: { data: { code: string } }) => error.data.code,
      );
    // Fixed one-minute windows: keep the checks below inside one window.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 50_000) await new Promise((done) => setTimeout(done, 60_500 - intoMinute));

    // Behind the trusted proxy (127.0.0.1), the client is the rightmost untrusted address.
    const outcomes: string[] = [];
    while (outcomes.length <= OFFLINE_IP_LIMIT) {
      outcomes.push(await attempt(urlKafkaless, `198.51.100.${outcomes.length}, 203.0.113.7`));
    }
    expect(outcomes).toEqual([...Array<string>(OFFLINE_IP_LIMIT).fill('admitted'), 'rate_limited']);
    // The client's own (leftmost) claim buys no new budget; another client has its own.
    expect(await attempt(urlKafkaless, '198.51.100.99, 203.0.113.7')).toBe('rate_limited');
    expect(await attempt(urlKafkaless, '203.0.113.8')).toBe('admitted');

    // A peer outside CHAT_TRUSTED_PROXIES: the header is ignored and every attempt counts
    // against 127.0.0.1, whatever address it claims.
    const ignored: string[] = [];
    while (ignored.length <= OFFLINE_IP_LIMIT) {
      ignored.push(await attempt(urlUntrusting, `203.0.113.${100 + ignored.length}`));
    }
    expect(ignored.at(-1)).toBe('rate_limited');
  }, 30_000);
});
