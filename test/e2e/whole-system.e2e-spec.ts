import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ClientReadableStream,
  credentials,
  makeGenericClientConstructor,
  Metadata,
  type ServiceDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import {
  commonV1,
  conversationV1,
  grpcLoaderOptions,
  protoFiles,
  routerV1,
} from '@switchboard/contracts';
import {
  decodeEnvelope,
  type RoutingDecisionEvent,
  routingDecisionSchema,
  Topics,
} from '@switchboard/events';
import { createKafkaClient, type KafkaClient, type MessageConsumer } from '@switchboard/kafka';
import {
  createTestContext,
  expectEventually,
  freePort,
  type RecordedMail,
  SERVICE_NAMES,
  type ServiceName,
  type ServiceProcess,
  type SmtpRelayStandIn,
  spawnService,
  startSmtpRelayStandIn,
  waitForHttpStatus,
} from '@switchboard/testing';
import { SignJWT } from 'jose';
import { createTransport } from 'nodemailer';

/**
 * The whole system as it runs in production: all five built services as their own processes on
 * the shared stack (isolated by topic prefix, databases and Redis key prefixes), a customer who
 * writes by SMTP, an agent UI that speaks gRPC to the router and the conversation service, and an
 * SMTP relay stand-in where outbound mail leaves the system.
 *
 * The router's decisions come back to the conversation service, which applies `queued` and
 * `assigned` as the conversation's queue and agent, so the agent sees and answers it.
 */

const SECRET = 'whole-system-e2e-jwt-secret-of-32-bytes-or-more';
const THREAD_SECRET = 'whole-system-e2e-thread-secret-0123456789';
const AGENT = 'ann';
const SUPERVISOR = 'sam';
const QUEUE = 'email';
const CUSTOMER = 'carla@customer.example';

type Unary = (
  request: object,
  metadata: Metadata,
  callback: (error: ServiceError | null, response?: unknown) => void,
) => void;
interface GrpcClient {
  close(): void;
  [method: string]: unknown;
}
interface AgentGrpcClient extends GrpcClient {
  watchOffers(
    request: routerV1.WatchOffersRequest,
    metadata: Metadata,
  ): ClientReadableStream<routerV1.WatchOffersResponse>;
}

const AgentServiceClient = makeGenericClientConstructor(
  routerV1.AgentServiceService,
  'AgentService',
);
// The proto-loader definition is what the conversation service serves with.
const ConversationServiceClient = makeGenericClientConstructor(
  (loadSync(protoFiles.conversationV1, grpcLoaderOptions) as unknown as Record<string, unknown>)[
    'switchboard.conversation.v1.ConversationService'
  ] as ServiceDefinition,
  'ConversationService',
);

function bearer(token: string): Metadata {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

function unary<Res>(client: GrpcClient, method: string, request: object, token: string) {
  return new Promise<Res>((resolve, reject) => {
    const fn = (client[method] as Unary).bind(client);
    fn(request, bearer(token), (error, response) =>
      error ? reject(error) : resolve(response as Res),
    );
  });
}

async function signToken(
  tenant: string,
  agentId: string,
  roles: string[],
  queues: string[],
): Promise<string> {
  return new SignJWT({ tenant, roles, queues })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(agentId)
    .setIssuedAt()
    .setExpirationTime('15m')
    .sign(new TextEncoder().encode(SECRET));
}

/** What the email gateway's signer should have put in the Reply-To for this thread. */
function expectedThreadToken(tenant: string, threadKey: string): string {
  const ref = createHash('sha256').update(`${tenant}\0${threadKey}`).digest('hex').slice(0, 24);
  const sig = createHmac('sha256', THREAD_SECRET)
    .update(`thread\0${tenant}\0${ref}`)
    .digest('hex')
    .slice(0, 20);
  return `${ref}.${sig}`;
}

describe('the whole system: email → conversation → router → agent → reply → customer answer', () => {
  const context = createTestContext('whole-system');
  const tenant = context.tenantId;
  const supportAddress = 'support@whole-system.switchboard.test';
  const directory = mkdtempSync(join(tmpdir(), 'switchboard-whole-system-'));
  const services = new Map<ServiceName, ServiceProcess>();
  const ports = { smtp: 0, routerGrpc: 0, conversationGrpc: 0 };
  const decisions: RoutingDecisionEvent[] = [];
  const offers: routerV1.Offer[] = [];
  let relay: SmtpRelayStandIn;
  let kafka: KafkaClient;
  let decisionConsumer: MessageConsumer | undefined;
  let agentApi: AgentGrpcClient;
  let conversationApi: GrpcClient;
  let offerStream: ClientReadableStream<routerV1.WatchOffersResponse> | undefined;
  let agentToken: string;
  let supervisorToken: string;

  // Filled in by the first test, used by the second.
  const customerMessageId = `<first.${Date.now().toString(36)}@customer.example>`;
  let conversationId = '';
  let threadKey = '';

  const sendCustomerMail = async (mail: {
    to: string;
    subject: string;
    text: string;
    messageId: string;
    inReplyTo?: string;
    references?: string[];
  }): Promise<void> => {
    const transport = createTransport({
      host: '127.0.0.1',
      port: ports.smtp,
      secure: false,
      ignoreTLS: true,
    });
    try {
      await transport.sendMail({ from: `Carla Customer <${CUSTOMER}>`, ...mail });
    } finally {
      transport.close();
    }
  };

  const listConversations = async (): Promise<conversationV1.Conversation[]> =>
    (
      await unary<conversationV1.ListConversationsResponse>(
        conversationApi,
        'listConversations',
        {},
        supervisorToken,
      )
    ).conversations;

  beforeAll(async () => {
    ports.smtp = await freePort();
    ports.routerGrpc = await freePort();
    ports.conversationGrpc = await freePort();
    relay = await startSmtpRelayStandIn();
    agentToken = await signToken(tenant, AGENT, ['agent'], [QUEUE]);
    supervisorToken = await signToken(tenant, SUPERVISOR, ['supervisor'], []);

    const routerConfig = join(directory, 'routing.yaml');
    writeFileSync(
      routerConfig,
      `tenants:
  - tenant: ${tenant}
    queues:
      - { id: ${QUEUE}, channel: email, offerTimeoutSeconds: 120, autoAccept: false }
    agents:
      - { id: ${AGENT}, capacity: { email: 2 } }
    queueSelection: { byChannel: { email: ${QUEUE} } }
`,
    );

    const common = {
      KAFKA_BROKERS: context.stack.kafkaBrokers,
      REDIS_URL: context.stack.redisUrl,
      KAFKA_TOPIC_PREFIX: context.topicPrefix,
      KAFKA_TOPIC_PARTITIONS: '1',
      LOG_LEVEL: 'warn',
    };
    const own: Record<ServiceName, Record<string, string>> = {
      'email-gateway': {
        SMTP_PORT: String(ports.smtp),
        SMTP_HOST: '127.0.0.1',
        EMAIL_TENANTS_JSON: JSON.stringify({
          tenants: [{ id: tenant, addresses: [supportAddress], fromName: 'Whole System Support' }],
        }),
        EMAIL_THREAD_SECRET: THREAD_SECRET,
        EMAIL_STORAGE_DIR: join(directory, 'email-storage'),
        MAILAUTH_DNS: 'off',
        SMTP_RELAY_URL: relay.url,
        OUTBOUND_EMAIL_RETRY_BASE_MS: '200',
      },
      'chat-gateway': {},
      'social-gateway': {},
      router: {
        MONGODB_URI: context.stack.mongodbUri,
        MONGODB_DATABASE: `${context.database}_router`,
        GRPC_PORT: String(ports.routerGrpc),
        GRPC_HOST: '127.0.0.1',
        AUTH_JWT_SECRET: SECRET,
        ROUTER_CONFIG_FILE: routerConfig,
        ROUTER_TICK_MS: '200',
      },
      conversation: {
        MONGODB_URI: context.stack.mongodbUri,
        MONGODB_DATABASE: `${context.database}_conversation`,
        GRPC_PORT: String(ports.conversationGrpc),
        GRPC_HOST: '127.0.0.1',
        AUTH_JWT_SECRET: SECRET,
      },
    };
    for (const name of SERVICE_NAMES) {
      services.set(
        name,
        spawnService(name, {
          httpPort: await freePort(),
          env: {
            ...common,
            // Each service its own key space, as separate deployments would have.
            REDIS_KEY_PREFIX: `${context.redisKeyPrefix}${name}:`,
            ...own[name],
          },
        }),
      );
    }
    await Promise.all(
      [...services.values()].map((service) =>
        waitForHttpStatus(`${service.httpUrl}/health/ready`, 200, {
          timeoutMs: 90_000,
          process: service,
        }),
      ),
    );

    // An observer of the router's decisions, on this suite's own topic (created by the router).
    kafka = createKafkaClient({ brokers: context.stack.kafkaBrokers.split(','), clientId: 'e2e' });
    decisionConsumer = kafka.createConsumer({
      groupId: `${context.topicPrefix}observer`,
      topics: [context.topic(Topics.routingDecisions)],
      fromBeginning: true,
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 500,
      handler: async (message) => {
        decisions.push(decodeEnvelope('routing decision', routingDecisionSchema, message.value));
      },
    });
    await decisionConsumer.start();

    agentApi = new AgentServiceClient(
      `127.0.0.1:${ports.routerGrpc}`,
      credentials.createInsecure(),
    ) as unknown as AgentGrpcClient;
    conversationApi = new ConversationServiceClient(
      `127.0.0.1:${ports.conversationGrpc}`,
      credentials.createInsecure(),
    );
  }, 180_000);

  afterAll(async () => {
    offerStream?.cancel();
    agentApi?.close();
    conversationApi?.close();
    await decisionConsumer?.stop();
    await kafka?.close();
    await Promise.all([...services.values()].map((service) => service.stop('SIGTERM')));
    await relay?.close();
    rmSync(directory, { recursive: true, force: true });
  }, 60_000);

  it('turns a customer email into a conversation that the router offers to the available agent, who accepts it', async () => {
    // The agent goes online and opens the offer stream before the mail arrives.
    await expectEventually(
      () =>
        unary<routerV1.SetPresenceResponse>(
          agentApi,
          'setPresence',
          { status: routerV1.PresenceStatus.AVAILABLE },
          agentToken,
        ),
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    offerStream = agentApi.watchOffers({}, bearer(agentToken));
    offerStream.on('data', (response: routerV1.WatchOffersResponse) => {
      if (response.offer) offers.push(response.offer);
    });
    offerStream.on('error', () => undefined); // cancelled in afterAll

    await sendCustomerMail({
      to: supportAddress,
      subject: 'My order #1042 never arrived',
      text: 'Hello, I ordered a kettle two weeks ago and it has not arrived. Can you help?\n\nCarla',
      messageId: customerMessageId,
    });

    // The conversation service ingested it: one open email conversation with the customer's text.
    const conversation = await expectEventually(
      async () => {
        const conversations = await listConversations();
        expect(conversations).toHaveLength(1);
        return conversations[0] as conversationV1.Conversation;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(conversation).toMatchObject({
      tenantId: tenant,
      channel: commonV1.Channel.EMAIL,
      status: conversationV1.ConversationStatus.OPEN,
      subject: 'My order #1042 never arrived',
    });
    expect(conversation.threadKey).toContain(customerMessageId.slice(1, -1));
    conversationId = conversation.id;
    threadKey = conversation.threadKey;
    const firstMessages = await unary<conversationV1.ListMessagesResponse>(
      conversationApi,
      'listMessages',
      { conversationId },
      supervisorToken,
    );
    expect(firstMessages.messages).toEqual([
      expect.objectContaining({
        direction: conversationV1.MessageDirection.INBOUND,
        text: expect.stringContaining('I ordered a kettle two weeks ago') as unknown,
      }),
    ]);

    // The router consumed the conversation event and offered it to the agent (no auto-accept).
    const offer = await expectEventually(
      () => {
        const found = offers.find((candidate) => candidate.conversationId === conversationId);
        expect(found).toBeDefined();
        return found as routerV1.Offer;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(offer.queueId).toBe(QUEUE);
    await unary(agentApi, 'acceptOffer', { conversationId }, agentToken);

    // Every step is a published decision with its explanation: queued, offered, assigned to ann.
    await expectEventually(
      () =>
        expect(
          decisions
            .filter((decision) => decision.conversationId === conversationId)
            .map(({ type, queueId, agentId }) => ({ type, queueId, agentId })),
        ).toEqual([
          { type: 'queued', queueId: QUEUE, agentId: undefined },
          { type: 'offered', queueId: QUEUE, agentId: AGENT },
          { type: 'assigned', queueId: QUEUE, agentId: AGENT },
        ]),
      { timeoutMs: 20_000, intervalMs: 100 },
    );
  }, 120_000);

  it('carries the agent’s reply out through the relay, threaded, and files the customer’s answer in the same conversation', async () => {
    expect(conversationId).not.toBe('');
    // The conversation service applied the router's decisions: the agent's own token now sees
    // the conversation in its queue, assigned to it — no supervisor involved.
    await expectEventually(
      async () => {
        const assigned = await unary<conversationV1.GetConversationResponse>(
          conversationApi,
          'getConversation',
          { conversationId },
          agentToken,
        );
        expect(assigned.conversation).toMatchObject({ assigneeId: AGENT, queueId: QUEUE });
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    await unary(
      conversationApi,
      'sendMessage',
      {
        conversationId,
        clientRequestId: 'reply-1',
        text: 'Hi Carla, sorry about that: a new kettle is on its way today. Ann',
      },
      agentToken,
    );

    // The email gateway sends it through the relay: to the customer, threaded on their mail.
    const reply = await expectEventually(
      () => {
        expect(relay.messages).toHaveLength(1);
        return relay.messages[0] as RecordedMail;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(reply.envelope.to).toEqual([CUSTOMER]);
    expect(reply.text).toContain('a new kettle is on its way today');
    expect(reply.inReplyTo).toBe(customerMessageId);
    expect(reply.references).toContain(customerMessageId);
    const replyTo = reply.headers['reply-to'] ?? '';
    const token = /support\+([0-9a-f]{24}\.[0-9a-f]{20})@whole-system\.switchboard\.test/.exec(
      replyTo,
    )?.[1];
    // Signed with the gateway's thread secret, for this tenant and this thread.
    expect(token).toBe(expectedThreadToken(tenant, threadKey));
    expect(reply.messageId).toMatch(/^<sb\.[0-9a-f]{24}\.[0-9a-f]{20}@/);

    // The customer answers the mail the way a mail client does: to the Reply-To address.
    const replyToAddress = `support+${token ?? ''}@whole-system.switchboard.test`;
    await sendCustomerMail({
      to: replyToAddress,
      subject: `Re: ${reply.subject ?? ''}`,
      text: `Thank you, it just arrived!\n\nOn Monday Ann wrote:\n> Hi Carla, sorry about that`,
      messageId: `<second.${Date.now().toString(36)}@customer.example>`,
      inReplyTo: reply.messageId ?? '',
      references: [customerMessageId, reply.messageId ?? ''],
    });

    const messages = await expectEventually(
      async () => {
        const { messages: all } = await unary<conversationV1.ListMessagesResponse>(
          conversationApi,
          'listMessages',
          { conversationId },
          agentToken,
        );
        expect(all).toHaveLength(3);
        return all;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(messages.map(({ direction, text }) => ({ direction, text }))).toEqual([
      {
        direction: conversationV1.MessageDirection.INBOUND,
        text: expect.stringContaining('I ordered a kettle') as unknown,
      },
      {
        direction: conversationV1.MessageDirection.OUTBOUND,
        text: 'Hi Carla, sorry about that: a new kettle is on its way today. Ann',
      },
      {
        direction: conversationV1.MessageDirection.INBOUND,
        text: 'Thank you, it just arrived!',
      },
    ]);
    // Still one conversation: the answer did not start a new thread.
    expect((await listConversations()).map((conversation) => conversation.id)).toEqual([
      conversationId,
    ]);
  }, 120_000);
});
