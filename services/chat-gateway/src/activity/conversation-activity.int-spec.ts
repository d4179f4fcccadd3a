import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@switchboard/config';
import {
  type ConversationActivityEvent,
  conversationActivitySchema,
  decodeEnvelope,
  encodeEnvelope,
  type OutboundMessage,
  threadPartitionKey,
} from '@switchboard/events';
import type { MessageProducer } from '@switchboard/kafka';
import { createTestContext, expectEventually, type TestContext } from '@switchboard/testing';
import { io, type Socket } from 'socket.io-client';
import { AppModule } from '../app.module';
import type { ChatGatewayWiring } from '../chat-gateway.wiring';
import { type ChatKafkaKit, startChatKafkaKit } from '../chat-kafka-kit.test-helper';
import { chatGatewayEnvSchema } from '../config/chat-gateway.config';
import { parseChatTenants } from '../config/chat-tenants.config';
import { OutboundMessageConsumer } from '../outbound/outbound-message.consumer';
import { ConversationActivityConsumer } from './conversation-activity.consumer';

/**
 * Typing and read both ways through the real Kafka, with two gateway replicas on the real Redis:
 * agent activity consumed by one replica reaches a visitor connected to the other; the visitor's
 * own typing and reading become customer activity events.
 */
const ORIGIN = 'https://shop.example';

interface Received {
  event: string;
  payload: unknown;
}

describe('typing and read through Kafka', () => {
  let context: TestContext;
  let kit: ChatKafkaKit | undefined;
  let producer: MessageProducer;
  let wiring: ChatGatewayWiring;
  const replicas: INestApplication[] = [];
  const urls: string[] = [];
  const sockets: Socket[] = [];
  const observed: { key: string | null; event: ConversationActivityEvent }[] = [];

  beforeAll(async () => {
    context = createTestContext('chat activity');
    kit = await startChatKafkaKit(context, {
      clientId: 'chat-activity-test',
      observe: {
        topics: ['conversationActivity'],
        onMessage: (message) => {
          const event = decodeEnvelope('activity', conversationActivitySchema, message.value);
          observed.push({ key: message.key, event });
        },
      },
    });
    ({ wiring, producer } = kit);
    const config = {
      ...loadConfig(chatGatewayEnvSchema, {
        KAFKA_BROKERS: context.stack.kafkaBrokers,
        REDIS_URL: context.stack.redisUrl,
        REDIS_KEY_PREFIX: context.redisKeyPrefix,
        LOG_LEVEL: 'silent',
        KAFKA_TOPIC_PARTITIONS: '1',
      }),
      tenants: parseChatTenants(`
tenants:
  - id: ${context.tenantId}
    allowedOrigins: ['${ORIGIN}']
    prechatTopics: [billing]
`),
    };
    for (let index = 0; index < 2; index += 1) {
      const app = await NestFactory.create(AppModule.forRoot(config, wiring), { logger: false });
      await app.listen(0, '127.0.0.1');
      replicas.push(app);
      urls.push((await app.getUrl()).replace('[::1]', '127.0.0.1'));
    }
    // Each single-partition topic is consumed by exactly one replica of its group.
    await expectEventually(
      () => {
        for (const consumer of [ConversationActivityConsumer, OutboundMessageConsumer]) {
          const owners = replicas.filter(
            (app) => app.get(consumer).assignedPartitions().length > 0,
          );
          expect(owners).toHaveLength(1);
        }
      },
      { timeoutMs: 30_000 },
    );
  }, 90_000);

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await Promise.all(replicas.map((app) => app.close()));
    await kit?.close();
  }, 30_000);

  /** The replica that does not consume agent activity: only the Redis adapter reaches it. */
  const urlWithoutActivityPartition = (): string => {
    const index = replicas.findIndex(
      (app) => app.get(ConversationActivityConsumer).assignedPartitions().length === 0,
    );
    return urls[index]!;
  };

  async function connect(
    url: string,
    auth: Record<string, unknown> = {},
  ): Promise<{ socket: Socket; received: Received[]; visitorId: string; threadKey: string }> {
    const socket = io(url, {
      path: '/chat/socket',
      transports: ['websocket'],
      auth: { tenantId: context.tenantId, ...auth },
      extraHeaders: { origin: ORIGIN },
      reconnection: false,
      forceNew: true,
    });
    sockets.push(socket);
    const received: Received[] = [];
    socket.onAny((event: string, payload: unknown) => received.push({ event, payload }));
    const session = await new Promise<{ visitorId: string }>((resolve, reject) => {
      socket.once('session', resolve);
      socket.once('connect_error', reject);
    });
    return {
      socket,
      received,
      visitorId: session.visitorId,
      threadKey: `visitor:${session.visitorId}`,
    };
  }

  function agentActivity(
    threadKey: string,
    overrides: Partial<ConversationActivityEvent> = {},
  ): ConversationActivityEvent {
    const now = Date.now();
    return {
      schemaVersion: 1,
      tenantId: context.tenantId,
      channel: 'chat',
      threadKey,
      conversationId: 'cv_activity',
      actor: { kind: 'agent', id: 'agent-dana', name: 'Dana' },
      isAssignee: true,
      activity: 'typing',
      occurredAt: new Date(now).toISOString(),
      expiresAt: new Date(now + 10_000).toISOString(),
      origin: 'conversation-test',
      ...overrides,
    };
  }

  async function produceActivity(...events: (ConversationActivityEvent | Buffer)[]) {
    await producer.send(
      wiring.topics.conversationActivity,
      events.map((event) =>
        Buffer.isBuffer(event)
          ? { key: 'garbage', value: event }
          : {
              key: threadPartitionKey(event.tenantId, event.channel, event.threadKey),
              value: encodeEnvelope(event),
            },
      ),
    );
  }

  it('shows the assignee typing and reading to a visitor on the other replica, and drops expired, foreign and colleagues’ signals', async () => {
    const visitor = await connect(urlWithoutActivityPartition());
    const thread = visitor.threadKey;
    const past = Date.now() - 60_000;
    await produceActivity(
      // Stale: a lagging consumer must not show it.
      agentActivity(thread, {
        actor: { kind: 'agent', id: 'agent-old', name: 'Stale' },
        occurredAt: new Date(past).toISOString(),
        expiresAt: new Date(past + 10_000).toISOString(),
      }),
      // A colleague looking at the conversation, not its assignee.
      agentActivity(thread, {
        actor: { kind: 'agent', id: 'agent-peek', name: 'Peeker' },
        isAssignee: false,
      }),
      // Another tenant's thread with the same key, another channel, the customer's own echo.
      agentActivity(thread, { tenantId: `${context.tenantId}-other` }),
      agentActivity(thread, { channel: 'whatsapp' }),
      agentActivity(thread, { actor: { kind: 'customer', id: visitor.visitorId, name: '' } }),
      Buffer.from('not json'),
      agentActivity(thread),
      agentActivity(thread, { activity: 'viewing', lastReadMessageId: 'msg_in_1' }),
    );
    await expectEventually(() => expect(visitor.received.length).toBeGreaterThanOrEqual(4), {
      timeoutMs: 15_000,
    });
    // One partition, in order: anything that was not dropped would have arrived before these.
    expect(visitor.received).toEqual([
      { event: 'session', payload: expect.any(Object) as object },
      { event: 'agent:typing', payload: { isTyping: true, name: 'Dana' } },
      { event: 'agent:typing', payload: { isTyping: false, name: 'Dana' } },
      { event: 'agent:read', payload: { upToMessageId: 'msg_in_1' } },
    ]);
  }, 30_000);

  it('produces the visitor’s typing (throttled) and reading as customer activity, keyed by thread', async () => {
    const visitor = await connect(urls[0]!, { prechat: { name: 'Ada' } });
    const send = async (event: string, payload: unknown) =>
      (await visitor.socket.timeout(10_000).emitWithAck(event, payload)) as {
        ok: boolean;
        sent?: boolean;
        error?: { code: string };
      };
    expect(await send('typing', { isTyping: true })).toEqual({ ok: true, sent: true });
    // Within 2 s, through either replica: throttled per session, not per socket.
    expect(await send('typing', { isTyping: true })).toEqual({ ok: true, sent: false });
    const { sessionToken } = (visitor.received[0]?.payload ?? {}) as { sessionToken?: string };
    const elsewhere = await connect(urls[1]!, { sessionToken });
    expect(
      await elsewhere.socket.timeout(10_000).emitWithAck('typing', { isTyping: true }),
    ).toEqual({ ok: true, sent: false });
    expect(await send('typing', { isTyping: false })).toEqual({ ok: true, sent: true });
    expect((await send('typing', { isTyping: 'yes' })).error).toMatchObject({
      code: 'invalid_payload',
    });

    const reply: OutboundMessage = {
      schemaVersion: 1,
      tenantId: context.tenantId,
      messageId: `reply-${Date.now()}`,
      conversationId: 'cv_read',
      channel: 'chat',
      threadKey: visitor.threadKey,
      recipient: { kind: 'chat_visitor', value: visitor.visitorId, verified: false },
      authorAgentId: 'agent-dana',
      text: 'hello Ada',
      attachments: [],
      inReplyTo: [],
      createdAt: new Date().toISOString(),
    };
    await producer.send(wiring.topics.outboundMessages, [
      { key: reply.conversationId, value: encodeEnvelope(reply) },
    ]);
    await expectEventually(() =>
      expect(visitor.received.map((entry) => entry.event)).toContain('agent:message'),
    );
    expect(await send('message:read', { messageIds: [reply.messageId] })).toEqual({ ok: true });
    // Read again: already read, no second signal.
    expect(await send('message:read', { messageIds: [reply.messageId] })).toEqual({ ok: true });

    const ofVisitor = () =>
      observed.filter(
        (entry) =>
          entry.event.threadKey === visitor.threadKey && entry.event.actor.kind === 'customer',
      );
    await expectEventually(() => expect(ofVisitor()).toHaveLength(3), { timeoutMs: 15_000 });
    // A fourth would have been produced before a later marker on the same key.
    await produceActivity(agentActivity(visitor.threadKey, { origin: 'marker' }));
    await expectEventually(() =>
      expect(observed.some((entry) => entry.event.origin === 'marker')).toBe(true),
    );
    const events = ofVisitor();
    expect(events.map((entry) => [entry.event.activity, entry.event.lastReadMessageId])).toEqual([
      ['typing', undefined],
      ['idle', undefined],
      ['viewing', reply.messageId],
    ]);
    for (const { key, event } of events) {
      expect(key).toBe(threadPartitionKey(context.tenantId, 'chat', visitor.threadKey));
      expect(event).toMatchObject({
        tenantId: context.tenantId,
        channel: 'chat',
        actor: { kind: 'customer', id: visitor.visitorId, name: 'Ada' },
        isAssignee: false,
      });
      expect(event.conversationId).toBeUndefined();
      expect(event.origin).toMatch(/^chat-gateway@/);
    }
    const lifetime = (event: ConversationActivityEvent) =>
      Date.parse(event.expiresAt) - Date.parse(event.occurredAt);
    expect(lifetime(events[0]!.event)).toBe(10_000);
    expect(lifetime(events[1]!.event)).toBe(10_000);
  }, 30_000);
});
