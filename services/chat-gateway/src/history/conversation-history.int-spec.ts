import { Server as GrpcServer, ServerCredentials, status as GrpcStatus } from '@grpc/grpc-js';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@switchboard/config';
import { conversationV1 } from '@switchboard/contracts';
import { encodeEnvelope, type OutboundMessage } from '@switchboard/events';
import { JwtAuthenticator } from '@switchboard/grpc-kit';
import type { MessageProducer } from '@switchboard/kafka';
import { createTestContext, expectEventually, type TestContext } from '@switchboard/testing';
import { decodeJwt } from 'jose';
import { io, type Socket } from 'socket.io-client';
import { AppModule } from '../app.module';
import type { ChatGatewayWiring } from '../chat-gateway.wiring';
import { type ChatKafkaKit, startChatKafkaKit } from '../chat-kafka-kit.test-helper';
import { chatGatewayEnvSchema, type ChatGatewayConfig } from '../config/chat-gateway.config';
import { parseChatTenants } from '../config/chat-tenants.config';
import { OutboundMessageConsumer } from '../outbound/outbound-message.consumer';

/**
 * History on (re)connection from the conversation service over gRPC. The conversation service
 * is replaced by a stand-in gRPC server built from the generated ConversationService definition
 * that checks the bearer token the way the real one does (HS256, sub, tenant) and answers only
 * its own tenant's conversations; Kafka and Redis are the real local stack.
 */

const ORIGIN = 'https://shop.example';
const JWT_SECRET = 'chat-history-test-secret-of-at-least-32-bytes';

interface Call {
  tenant: string;
  subject: string;
  roles: unknown;
  conversationId: string;
}

/** The conversation service's ListMessages, for one tenant's conversations. */
async function startConversationStandIn(
  tenantId: string,
  conversations: Map<string, conversationV1.Message[]>,
): Promise<{ address: string; calls: Call[]; rejected: string[]; stop: () => Promise<void> }> {
  const authenticator = new JwtAuthenticator({ secret: JWT_SECRET });
  const calls: Call[] = [];
  const rejected: string[] = [];
  const implementation: Pick<conversationV1.ConversationServiceServer, 'listMessages'> = {
    listMessages: (call, callback) => {
      authenticator.authenticate(call.metadata).then(
        (principal) => {
          const token = String(call.metadata.get('authorization')[0]).slice('Bearer '.length);
          calls.push({
            tenant: principal.tenantId,
            subject: principal.agentId,
            roles: decodeJwt(token)['roles'],
            conversationId: call.request.conversationId,
          });
          const messages =
            principal.tenantId === tenantId
              ? conversations.get(call.request.conversationId)
              : undefined;
          if (!messages) {
            callback({
              code: GrpcStatus.NOT_FOUND,
              details: 'conversation not found',
            });
          } else {
            callback(null, { messages });
          }
        },
        (error: Error) => {
          rejected.push(error.message);
          callback({ code: GrpcStatus.UNAUTHENTICATED, details: error.message });
        },
      );
    },
  };
  const server = new GrpcServer();
  server.addService(conversationV1.ConversationServiceService, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    calls,
    rejected,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

/** A visitor socket that records the events it receives, in order, and never acknowledges. */
class Visitor {
  readonly events: { event: string; payload: unknown }[] = [];
  constructor(readonly socket: Socket) {
    socket.onAny((event: string, payload: unknown) => this.events.push({ event, payload }));
  }
  of(event: string): unknown[] {
    return this.events.filter((entry) => entry.event === event).map((entry) => entry.payload);
  }
}

describe('chat history from the conversation service', () => {
  let context: TestContext;
  let kit: ChatKafkaKit | undefined;
  let producer: MessageProducer;
  let wiring: ChatGatewayWiring;
  let standIn: Awaited<ReturnType<typeof startConversationStandIn>>;
  const apps: INestApplication[] = [];
  const sockets: Socket[] = [];
  const conversations = new Map<string, conversationV1.Message[]>();
  let withHistory: string;
  let wrongSecret: string;
  let withoutHistory: string;

  beforeAll(async () => {
    context = createTestContext('chat history');
    kit = await startChatKafkaKit(context, {
      clientId: 'chat-history-test',
    });
    ({ wiring, producer } = kit);
    standIn = await startConversationStandIn(context.tenantId, conversations);

    const env = {
      KAFKA_BROKERS: context.stack.kafkaBrokers,
      REDIS_URL: context.stack.redisUrl,
      REDIS_KEY_PREFIX: context.redisKeyPrefix,
      LOG_LEVEL: 'silent',
      KAFKA_TOPIC_PARTITIONS: '1',
    };
    const tenants = parseChatTenants(`
tenants:
  - id: ${context.tenantId}
    allowedOrigins: ['${ORIGIN}']
`);
    const configFor = (extra: Record<string, string>): ChatGatewayConfig => ({
      ...loadConfig(chatGatewayEnvSchema, { ...env, ...extra }),
      tenants,
    });
    // Three deployments on one Redis and one consumer group: the history differs only in how
    // each reaches (or does not reach) the conversation service.
    const urls: string[] = [];
    for (const config of [
      configFor({ CONVERSATION_GRPC_URL: standIn.address, AUTH_JWT_SECRET: JWT_SECRET }),
      configFor({
        CONVERSATION_GRPC_URL: standIn.address,
        AUTH_JWT_SECRET: 'not-the-conversation-service-secret-at-all',
      }),
      configFor({}),
    ]) {
      const app = await NestFactory.create(AppModule.forRoot(config, wiring), { logger: false });
      await app.listen(0, '127.0.0.1');
      apps.push(app);
      urls.push((await app.getUrl()).replace('[::1]', '127.0.0.1'));
    }
    [withHistory, wrongSecret, withoutHistory] = urls as [string, string, string];
    await expectEventually(
      () => {
        const owners = apps.filter(
          (app) => app.get(OutboundMessageConsumer).assignedPartitions().length > 0,
        );
        expect(owners).toHaveLength(1);
      },
      { timeoutMs: 30_000 },
    );
  }, 90_000);

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await Promise.all(apps.map((app) => app.close()));
    await standIn?.stop();
    await kit?.close();
  }, 30_000);

  async function connect(url: string, auth: Record<string, unknown>): Promise<Visitor> {
    const socket = io(url, {
      path: '/chat/socket',
      transports: ['websocket'],
      auth: { tenantId: context.tenantId, ...auth },
      extraHeaders: { origin: ORIGIN },
      reconnection: false,
      forceNew: true,
    });
    sockets.push(socket);
    const visitor = new Visitor(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('session', () => resolve());
      socket.once('connect_error', reject);
    });
    return visitor;
  }

  const message = (
    id: string,
    direction: conversationV1.MessageDirection,
    text: string,
    externalId = '',
  ): conversationV1.Message => ({
    id,
    conversationId: 'cv_history',
    direction,
    authorId: direction === conversationV1.MessageDirection.INBOUND ? 'ct_visitor' : 'agent-7',
    text,
    html: '',
    attachments: [],
    externalId,
    deliveryStatus: 'sent',
    createdAt: new Date('2025-01-01T00:00:00Z'),
    conversationSequence: '1',
    reactions: [],
  });

  function reply(visitorId: string, messageId: string, text: string): OutboundMessage {
    return {
      schemaVersion: 1,
      tenantId: context.tenantId,
      messageId,
      conversationId: 'cv_history',
      channel: 'chat',
      threadKey: `visitor:${visitorId}`,
      recipient: { kind: 'chat_visitor', value: visitorId, verified: false },
      authorAgentId: 'agent-7',
      text,
      attachments: [],
      inReplyTo: [],
      createdAt: new Date().toISOString(),
    };
  }

  async function produce(outbound: OutboundMessage): Promise<void> {
    await producer.send(wiring.topics.outboundMessages, [
      { key: outbound.conversationId, value: encodeEnvelope(outbound) },
    ]);
  }

  it('sends the conversation on reconnection, minus what the widget shows, notes and pending replies', async () => {
    const first = await connect(withHistory, {});
    const session = first.of('session')[0] as { sessionToken: string; visitorId: string };
    const sent = (await first.socket.timeout(10_000).emitWithAck('message:send', {
      clientMessageId: 'c-1',
      text: 'where is my order?',
    })) as { ok: boolean; messageId: string };
    expect(sent.ok).toBe(true);
    const answered = reply(session.visitorId, 'msg_out_1', 'it ships today');
    await produce(answered);
    await expectEventually(() => expect(first.of('agent:message')).toHaveLength(1));
    // No conversation was known before an agent replied: no history, no call.
    expect(first.events.map((entry) => entry.event)).toEqual(['session', 'agent:message']);
    expect(standIn.calls).toEqual([]);
    await first.socket.timeout(10_000).emitWithAck('message:ack', {
      messageIds: [answered.messageId],
    });
    first.socket.disconnect();

    // While the visitor is away: one more reply waits in the mailbox.
    const waiting = reply(session.visitorId, 'msg_out_3', 'anything else?');
    await produce(waiting);
    const { INBOUND, OUTBOUND, NOTE } = conversationV1.MessageDirection;
    conversations.set('cv_history', [
      message('msg_in_1', INBOUND, 'where is my order?', `${session.visitorId}:c-1`),
      message('note_1', NOTE, 'internal: customer is a VIP'),
      message('msg_out_1', OUTBOUND, 'it ships today'),
      message('msg_in_2', INBOUND, 'from my phone', `${session.visitorId}:c-2`),
      message('msg_out_2', OUTBOUND, 'answered by the agent while you were away'),
      message('msg_out_3', OUTBOUND, 'anything else?'),
    ]);

    // Without the conversation service (or when it refuses the token), only the mailbox.
    for (const url of [withoutHistory, wrongSecret]) {
      const visitor = await connect(url, { sessionToken: session.sessionToken });
      await expectEventually(() => expect(visitor.of('agent:message')).toHaveLength(1));
      // History is sent before the mailbox replay, so it would have arrived by now.
      expect(visitor.events.map((entry) => entry.event)).toEqual(['session', 'agent:message']);
      visitor.socket.disconnect();
    }
    expect(standIn.rejected).toEqual(['token is not valid']);

    const back = await connect(withHistory, {
      sessionToken: session.sessionToken,
      knownMessageIds: [sent.messageId, answered.messageId],
    });
    await expectEventually(() => expect(back.of('agent:message')).toHaveLength(1));
    expect(back.events.map((entry) => entry.event)).toEqual([
      'session',
      'history',
      'agent:message',
    ]);
    const [history] = back.of('history') as [{ messages: { id: string }[] }];
    // The visitor's own message from another device carries the id its send ack would have.
    const fromPhone = (await (
      await connect(withHistory, { sessionToken: session.sessionToken })
    ).socket
      .timeout(10_000)
      .emitWithAck('message:send', { clientMessageId: 'c-2', text: 'from my phone' })) as {
      messageId: string;
    };
    expect(history.messages).toEqual([
      {
        id: fromPhone.messageId,
        conversationMessageId: 'msg_in_2',
        from: 'visitor',
        text: 'from my phone',
        createdAt: '2025-01-01T00:00:00.000Z',
      },
      {
        id: 'msg_out_2',
        conversationMessageId: 'msg_out_2',
        from: 'agent',
        text: 'answered by the agent while you were away',
        createdAt: '2025-01-01T00:00:00.000Z',
        authorAgentId: 'agent-7',
      },
    ]);
    expect(back.of('agent:message')).toEqual([
      expect.objectContaining({ id: waiting.messageId, text: 'anything else?' }),
    ]);
    // Every accepted call named the visitor's tenant, as the gateway, not as an agent.
    expect(standIn.calls.length).toBeGreaterThanOrEqual(2);
    for (const call of standIn.calls) {
      expect(call).toEqual({
        tenant: context.tenantId,
        subject: 'chat-gateway',
        roles: ['system'],
        conversationId: 'cv_history',
      });
    }
  }, 60_000);
});
