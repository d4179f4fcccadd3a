import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CallOptions,
  credentials,
  makeGenericClientConstructor,
  Metadata,
  type ServiceError,
} from '@grpc/grpc-js';
import { conversationV1 } from '@switchboard/contracts';
import {
  createTestContext,
  expectEventually,
  freePort,
  type ServiceProcess,
  spawnService,
  waitForHttpStatus,
} from '@switchboard/testing';
import { SignJWT } from 'jose';
import { io, type Socket } from 'socket.io-client';

/**
 * The chat gateway with the real conversation service and router, each its own process, on the
 * real local stack: a visitor's pre-chat topic and message become a conversation the router
 * queues; the gateway shows the visitor the router's wait estimate (offline mode: nobody is
 * online) and, on reconnection, the conversation's history read from the conversation service
 * with the gateway's `system` token.
 */
const SECRET = 'chat-gateway-e2e-secret-with-32-bytes!!!';
const ORIGIN = 'https://shop.example';
const QUEUE = 'chat-queue';

type Unary<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: CallOptions,
  callback: (error: ServiceError | null, response?: Res) => void,
) => void;
type ConversationClient = {
  close(): void;
  listConversations: Unary<
    conversationV1.ListConversationsRequest,
    conversationV1.ListConversationsResponse
  >;
  listMessages: Unary<conversationV1.ListMessagesRequest, conversationV1.ListMessagesResponse>;
  sendMessage: Unary<conversationV1.SendMessageRequest, conversationV1.SendMessageResponse>;
};
const ConversationClientConstructor = makeGenericClientConstructor(
  conversationV1.ConversationServiceService,
  'ConversationService',
);

interface Received {
  event: string;
  payload: unknown;
}

describe('chat gateway with the conversation service and the router', () => {
  const context = createTestContext('chat e2e');
  const tenant = context.tenantId;
  const directory = mkdtempSync(join(tmpdir(), 'chat-e2e-'));
  const services: ServiceProcess[] = [];
  const sockets: Socket[] = [];
  let chatUrl: string;
  let conversations: ConversationClient;
  let supervisorToken: string;

  async function call<Req, Res>(method: Unary<Req, Res>, request: Req): Promise<Res> {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${supervisorToken}`);
    return new Promise<Res>((resolve, reject) =>
      method.call(
        conversations,
        request,
        metadata,
        { deadline: Date.now() + 10_000 },
        (error, response) =>
          error || !response ? reject(error ?? new Error('empty')) : resolve(response),
      ),
    );
  }

  beforeAll(async () => {
    const ports = { conversationGrpc: await freePort(), routerGrpc: await freePort() };
    supervisorToken = await new SignJWT({ tenant, roles: ['supervisor'], queues: [] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('supervisor-1')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(SECRET));
    const routerConfig = join(directory, 'routing.yaml');
    // One agent who never comes online: the visitor waits, and the widget goes offline.
    writeFileSync(
      routerConfig,
      `tenants:
  - tenant: ${tenant}
    queues:
      - { id: ${QUEUE}, channel: chat, offerTimeoutSeconds: 120, autoAccept: false }
    agents:
      - { id: agent-1, capacity: { chat: 2 } }
    queueSelection: { byChannel: { chat: ${QUEUE} } }
`,
    );
    const chatTenants = join(directory, 'chat-tenants.yaml');
    writeFileSync(
      chatTenants,
      `tenants:
  - id: ${tenant}
    allowedOrigins: ['${ORIGIN}']
    prechatTopics: [billing, technical]
`,
    );
    const common = {
      KAFKA_BROKERS: context.stack.kafkaBrokers,
      REDIS_URL: context.stack.redisUrl,
      KAFKA_TOPIC_PREFIX: context.topicPrefix,
      KAFKA_TOPIC_PARTITIONS: '1',
      LOG_LEVEL: 'warn',
      AUTH_JWT_SECRET: SECRET,
    };
    const own = {
      conversation: {
        MONGODB_URI: context.stack.mongodbUri,
        MONGODB_DATABASE: `${context.database}_conversation`,
        GRPC_PORT: String(ports.conversationGrpc),
        GRPC_HOST: '127.0.0.1',
      },
      router: {
        MONGODB_URI: context.stack.mongodbUri,
        MONGODB_DATABASE: `${context.database}_router`,
        GRPC_PORT: String(ports.routerGrpc),
        GRPC_HOST: '127.0.0.1',
        ROUTER_CONFIG_FILE: routerConfig,
        ROUTER_TICK_MS: '200',
      },
      'chat-gateway': {
        CHAT_TENANTS_FILE: chatTenants,
        CONVERSATION_GRPC_URL: `127.0.0.1:${ports.conversationGrpc}`,
        ROUTER_GRPC_URL: `127.0.0.1:${ports.routerGrpc}`,
        CHAT_QUEUE_POLL_INTERVAL_MS: '300',
        // Its "consumer joined" lines tell the test when it is in its consumer groups.
        LOG_LEVEL: 'info',
      },
    } as const;
    for (const name of ['conversation', 'router', 'chat-gateway'] as const) {
      services.push(
        spawnService(name, {
          httpPort: await freePort(),
          env: { ...common, REDIS_KEY_PREFIX: `${context.redisKeyPrefix}${name}:`, ...own[name] },
        }),
      );
    }
    await Promise.all(
      services.map((service) =>
        waitForHttpStatus(`${service.httpUrl}/health/ready`, 200, {
          timeoutMs: 90_000,
          process: service,
        }),
      ),
    );
    const chat = services[2]!;
    chatUrl = chat.httpUrl;
    // Ready does not wait for the consumer groups; a group that joins after the conversation is
    // created starts at the latest offset and would learn the conversation only from its next
    // event. Production joins once; the test waits for it.
    const group = `${context.topicPrefix}chat-gateway`;
    await expectEventually(
      () => {
        const joined = chat
          .output()
          .split('\n')
          .filter((line) => line.includes('"msg":"consumer joined"'));
        for (const groupId of [group, `${group}.activity`, `${group}.conversations`]) {
          expect(joined.some((line) => line.includes(`"groupId":"${groupId}"`))).toBe(true);
        }
      },
      { timeoutMs: 60_000 },
    );
    conversations = new ConversationClientConstructor(
      `127.0.0.1:${ports.conversationGrpc}`,
      credentials.createInsecure(),
    ) as unknown as ConversationClient;
  }, 180_000);

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    conversations?.close();
    await Promise.all(services.map((service) => service.stop('SIGTERM')));
    rmSync(directory, { recursive: true, force: true });
  }, 60_000);

  async function connect(auth: Record<string, unknown> = {}) {
    const socket = io(chatUrl, {
      path: '/chat/socket',
      transports: ['websocket'],
      auth: { tenantId: tenant, ...auth },
      extraHeaders: { origin: ORIGIN },
      reconnection: false,
      forceNew: true,
    });
    sockets.push(socket);
    const received: Received[] = [];
    socket.onAny((event: string, payload: unknown) => received.push({ event, payload }));
    const session = await new Promise<{ visitorId: string; sessionToken?: string }>(
      (resolve, reject) => {
        socket.once('session', resolve);
        socket.once('connect_error', reject);
      },
    );
    const of = (event: string) =>
      received.filter((entry) => entry.event === event).map((entry) => entry.payload);
    return { socket, session, received, of };
  }

  it('queues the visitor’s conversation, shows the router’s estimate, and replays history from the conversation service', async () => {
    const visitor = await connect();
    const emit = async (event: string, payload: unknown) =>
      (await visitor.socket.timeout(10_000).emitWithAck(event, payload)) as {
        ok: boolean;
        messageId?: string;
        conversationMessageId?: string;
      };
    expect(
      await emit('prechat:submit', { name: 'Ada', email: 'ada@example.com', topic: 'billing' }),
    ).toMatchObject({ ok: true });
    const sent = await emit('message:send', {
      clientMessageId: 'e2e-1',
      text: 'I was charged twice',
    });
    expect(sent.ok).toBe(true);

    // The conversation service made it a conversation; the router queued it.
    const conversation = await expectEventually(
      async () => {
        const { conversations: found } = await call(conversations.listConversations, {
          statuses: [],
          queueId: '',
          assigneeId: '',
          channel: 0,
          tag: '',
          contactId: '',
        });
        expect(found).toHaveLength(1);
        expect(found[0]?.queueId).toBe(QUEUE);
        return found[0]!;
      },
      { timeoutMs: 30_000 },
    );
    // Waiting, first in line, and nobody online: the widget's offline mode.
    await expectEventually(
      () =>
        expect(visitor.of('queue:status').at(-1)).toMatchObject({
          state: 'waiting',
          position: 1,
          agentsOnline: false,
        }),
      { timeoutMs: 30_000 },
    );
    expect(
      await emit('message:send', { clientMessageId: 'e2e-2', text: 'call me back' }),
    ).toMatchObject({ ok: true });

    // Both visitor messages are stored before the answer, so the history's order is known.
    await expectEventually(
      async () => {
        const { messages } = await call(conversations.listMessages, {
          conversationId: conversation.id,
        });
        expect(messages.map((message) => message.text)).toEqual([
          'I was charged twice',
          'call me back',
        ]);
        // The send ack named the id the conversation service stored the message under.
        expect(messages[0]?.id).toBe(sent.conversationMessageId);
      },
      { timeoutMs: 30_000 },
    );
    // A supervisor answers through the conversation service; the reply reaches the socket.
    const { message: answer } = await call(conversations.sendMessage, {
      conversationId: conversation.id,
      clientRequestId: 'answer-1',
      text: 'Refund on its way',
      html: '',
    });
    await expectEventually(
      () =>
        expect(visitor.of('agent:message')).toContainEqual(
          expect.objectContaining({ text: 'Refund on its way' }),
        ),
      { timeoutMs: 30_000 },
    );
    const reply = visitor.of('agent:message')[0] as { id: string };
    await emit('message:ack', { messageIds: [reply.id] });
    visitor.socket.disconnect();

    // On a new device (no ids known), the history comes from the conversation service, with
    // the ids the widget uses: its own message by the id of its send ack, the reply by its id.
    const back = await connect({ sessionToken: visitor.session.sessionToken });
    const [history] = (await expectEventually(() => {
      const found = back.of('history');
      expect(found).toHaveLength(1);
      return found;
    })) as [
      { messages: { id: string; conversationMessageId: string; from: string; text: string }[] },
    ];
    expect(history.messages.map(({ id, from, text }) => ({ id, from, text }))).toEqual([
      { id: sent.messageId, from: 'visitor', text: 'I was charged twice' },
      { id: expect.any(String) as string, from: 'visitor', text: 'call me back' },
      { id: reply.id, from: 'agent', text: 'Refund on its way' },
    ]);
    expect(history.messages[0]?.conversationMessageId).toBe(sent.conversationMessageId);
    expect(history.messages[2]?.conversationMessageId).toBe(answer?.id);
    expect(answer?.text).toBe('Refund on its way');
  }, 120_000);
});
