import { createHmac, randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
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
  type conversationV1,
  grpcLoaderOptions,
  protoFiles,
  routerAdminV1,
  routerV1,
} from '@switchboard/contracts';
import {
  expectEventually,
  type RecordedMail,
  type SmtpRelayStandIn,
  startSmtpRelayStandIn,
} from '@switchboard/testing';
import { SignJWT } from 'jose';
import { createTransport } from 'nodemailer';
import { io, type Socket } from 'socket.io-client';

/**
 * The short narrated demo `npm start` plays once every service is ready: one customer message on
 * each kind of channel (email by SMTP, a chat message over the widget's socket, a signed WhatsApp
 * webhook), then what the system does with them — conversations created, routed and offered to
 * the demo agent over gRPC, accepted, answered — and the email reply arriving at a local SMTP
 * relay stand-in. Nothing leaves the machine. A failure is reported and the system keeps running.
 */

const TENANT = 'demo';
const AGENT = 'demo-agent';
const SUPERVISOR = 'demo-supervisor';
const SUPPORT_ADDRESS = 'support@demo.switchboard.localhost';
const CUSTOMER_EMAIL = 'alex@customer.example';
const CHAT_ORIGIN = 'http://localhost:3002';
// From services/social-gateway/config/social-accounts.local.yaml (demo values, not secrets).
const META_APP_ID = 'demo-meta-app';
const META_APP_SECRET = 'demo-meta-app-secret';
const WHATSAPP_PHONE_NUMBER_ID = '1100000000001';
/** Each wait of the demo; the whole demo normally takes a few seconds. */
const STEP_TIMEOUT_MS = 30_000;

const ROUTER_CONFIG = `# Written by scripts/demo.ts for \`npm start\`: routing of the local demo tenant.
tenants:
  - tenant: ${TENANT}
    queues:
      - { id: email, name: Email, channel: email, offerTimeoutSeconds: 60, autoAccept: false }
      - { id: chat, name: Chat, channel: chat, offerTimeoutSeconds: 60, autoAccept: false }
      - { id: whatsapp, name: WhatsApp, channel: whatsapp, offerTimeoutSeconds: 60, autoAccept: false }
    skills: [shipping, billing]
    agents:
      - id: ${AGENT}
        name: Demo Agent
        capacity: { email: 10, chat: 10, whatsapp: 10 }
        skills: { shipping: 7, billing: 7 }
    queueSelection:
      byChannel: { email: email, chat: chat, whatsapp: whatsapp }
    # Topics add skills to a conversation's task (a topic may also name a queue); rules first, in
    # order, then the classifier trained on the examples. The decisions on
    # switchboard.routing-decisions.v1 say which rule or model chose the topic.
    classification:
      topics:
        - { id: shipping, requiredSkills: { shipping: 5 } }
        - { id: billing, requiredSkills: { billing: 5 } }
      topicRules:
        - { id: delivery-words, topic: shipping, keywords: [delivery, tracking, parcel, arrived] }
        - { id: payment-words, topic: billing, keywords: [invoice, refund, charged, payment] }
      classifier:
        minConfidence: 0.6
        examples:
          - { topic: shipping, text: Do you ship to Sweden? }
          - { topic: shipping, text: How long does shipping to Germany take? }
          - { topic: shipping, text: Can you send my order to another country? }
          - { topic: billing, text: Can I pay by bank transfer? }
          - { topic: billing, text: Do you accept PayPal or credit cards? }
          - { topic: billing, text: Why was I billed twice this month? }
`;

export interface DemoSetup {
  /** ROUTER_CONFIG_FILE for the router. */
  readonly routerConfigFile: string;
  /** Where the email gateway sends outbound mail (SMTP_RELAY_URL). */
  readonly relay: SmtpRelayStandIn;
}

/** Before the services start: the router's demo configuration and the relay stand-in. */
export async function prepareDemo(directory: string): Promise<DemoSetup> {
  mkdirSync(directory, { recursive: true });
  const routerConfigFile = join(directory, 'router-config.yaml');
  writeFileSync(routerConfigFile, ROUTER_CONFIG);
  return { routerConfigFile, relay: await startSmtpRelayStandIn() };
}

export interface DemoTargets {
  /** Base URLs and ports of the running services. */
  chatGatewayUrl: string;
  socialGatewayUrl: string;
  smtpPort: number;
  routerGrpc: string;
  conversationGrpc: string;
  /** The services' AUTH_JWT_SECRET: the demo signs its agent's tokens with it. */
  jwtSecret: string;
  log: (line: string) => void;
}

/** Plays the demo; never throws: a failure is printed with what to look at. */
export async function runDemo(setup: DemoSetup, targets: DemoTargets): Promise<boolean> {
  const demo = new Demo(setup, targets);
  try {
    await demo.play();
    return true;
  } catch (error) {
    targets.log('');
    targets.log(
      `demo: FAILED at "${demo.step}": ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    );
    targets.log(
      '  the system keeps running; the services log to .stack/logs/services/<service>.log',
    );
    return false;
  } finally {
    await demo.close();
  }
}

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

interface ChatAgentMessage {
  id: string;
  text: string;
}

interface DemoConversation {
  label: string;
  channel: commonV1.Channel;
  matches: (conversation: conversationV1.Conversation) => boolean;
  conversation?: conversationV1.Conversation;
  reply?: string;
}

class Demo {
  step = 'start';
  private readonly runId = `${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
  private readonly startedAt = new Date();
  private readonly emailMessageId = `<demo-${this.runId}@customer.example>`;
  private agentApi: AgentGrpcClient | undefined;
  private conversationApi: GrpcClient | undefined;
  private routingAdminApi: GrpcClient | undefined;
  private offerStream: ClientReadableStream<routerV1.WatchOffersResponse> | undefined;
  private socket: Socket | undefined;
  private readonly offers: routerV1.Offer[] = [];
  private readonly chatReplies: ChatAgentMessage[] = [];
  private agentToken = '';
  private supervisorToken = '';

  constructor(
    private readonly setup: DemoSetup,
    private readonly targets: DemoTargets,
  ) {}

  private log(line: string): void {
    this.targets.log(`demo: ${line}`);
  }

  async play(): Promise<void> {
    const { targets } = this;
    targets.log('');
    this.log('a customer writes on three channels; demo-agent answers over gRPC');
    this.step = 'signing the demo tokens';
    this.agentToken = await this.token(AGENT, ['agent'], ['email', 'chat', 'whatsapp']);
    this.supervisorToken = await this.token(SUPERVISOR, ['supervisor'], []);
    this.agentApi = new (makeGenericClientConstructor(
      routerV1.AgentServiceService,
      'AgentService',
    ))(targets.routerGrpc, credentials.createInsecure()) as unknown as AgentGrpcClient;
    this.routingAdminApi = new (makeGenericClientConstructor(
      routerAdminV1.RoutingAdminServiceService,
      'RoutingAdminService',
    ))(targets.routerGrpc, credentials.createInsecure());
    this.conversationApi = new (makeGenericClientConstructor(
      (
        loadSync(protoFiles.conversationV1, grpcLoaderOptions) as unknown as Record<string, unknown>
      )['switchboard.conversation.v1.ConversationService'] as ServiceDefinition,
      'ConversationService',
    ))(targets.conversationGrpc, credentials.createInsecure());

    this.step = 'demo-agent goes online (router AgentService.SetPresence)';
    await expectEventually(
      () =>
        this.call(
          this.agentApi,
          'setPresence',
          { status: routerV1.PresenceStatus.AVAILABLE },
          this.agentToken,
        ),
      { timeoutMs: STEP_TIMEOUT_MS, intervalMs: 250 },
    );
    this.offerStream = this.agentApi.watchOffers({}, this.bearer(this.agentToken));
    this.offerStream.on('data', (response: routerV1.WatchOffersResponse) => {
      if (response.offer) this.offers.push(response.offer);
    });
    this.offerStream.on('error', () => undefined); // cancelled when the demo ends
    this.log(`1. ${AGENT} is AVAILABLE and watches its offers (router gRPC WatchOffers)`);

    const conversations: DemoConversation[] = [];
    conversations.push(await this.sendEmail());
    conversations.push(await this.sendChat());
    conversations.push(await this.sendWhatsApp());

    this.step = 'waiting for the conversations (ConversationService.ListConversations)';
    for (const item of conversations) {
      item.conversation = await expectEventually(
        async () => {
          const { conversations: found } =
            await this.call<conversationV1.ListConversationsResponse>(
              this.conversationApi,
              'listConversations',
              { channel: item.channel, updatedSince: this.startedAt },
              this.supervisorToken,
            );
          const match = found.find(item.matches);
          if (!match) throw new Error(`no ${item.label} conversation yet`);
          return match;
        },
        { timeoutMs: STEP_TIMEOUT_MS, intervalMs: 200 },
      );
      this.log(
        `3. conversation created: ${item.label} ${item.conversation.id} (thread ${item.conversation.threadKey})`,
      );
    }

    this.step = 'waiting for the router to offer the conversations to demo-agent';
    for (const item of conversations) {
      const id = item.conversation?.id ?? '';
      const offer = await expectEventually(
        () => {
          const found = this.offers.find((candidate) => candidate.conversationId === id);
          if (!found) throw new Error(`no offer for ${item.label} conversation ${id}`);
          return found;
        },
        { timeoutMs: STEP_TIMEOUT_MS, intervalMs: 100 },
      );
      this.log(
        `4. routed: ${item.label} → queue "${offer.queueId}", offered to ${AGENT} (${offer.reason})`,
      );
      await this.explainQueueing(item.label, id);
      this.step = `demo-agent accepts the ${item.label} offer (AgentService.AcceptOffer)`;
      await this.call(this.agentApi, 'acceptOffer', { conversationId: id }, this.agentToken);
      // The router's `assigned` decision travels back to the conversation service, which records
      // it: from then on the agent's own token sees the conversation as theirs.
      await expectEventually(
        async () => {
          const seen = await this.call<conversationV1.GetConversationResponse>(
            this.conversationApi,
            'getConversation',
            { conversationId: id },
            this.agentToken,
          );
          if (seen.conversation?.assigneeId !== AGENT) throw new Error('not assigned yet');
        },
        { timeoutMs: STEP_TIMEOUT_MS, intervalMs: 100 },
      );
      this.log(`5. ${AGENT} accepted the ${item.label} conversation`);
    }

    this.step = 'demo-agent replies (ConversationService.SendMessage)';
    for (const item of conversations) {
      if (item.reply === undefined) continue;
      await this.call(
        this.conversationApi,
        'sendMessage',
        {
          conversationId: item.conversation?.id ?? '',
          clientRequestId: `demo-${this.runId}-${item.label}`,
          text: item.reply,
        },
        this.agentToken,
      );
      this.log(`6. ${AGENT} replied to the ${item.label}: "${item.reply}"`);
    }
    this.log(
      '   (the WhatsApp conversation gets no reply here: it would call the real Meta Graph API)',
    );

    this.step = 'waiting for the email reply at the SMTP relay stand-in';
    const mail = await expectEventually(
      () => {
        const found = this.setup.relay.messages.find(
          (message: RecordedMail) =>
            message.envelope.to.includes(CUSTOMER_EMAIL) &&
            message.inReplyTo === this.emailMessageId,
        );
        if (!found) throw new Error('the relay has not received the reply yet');
        return found;
      },
      { timeoutMs: STEP_TIMEOUT_MS, intervalMs: 100 },
    );
    this.log(`7. the relay received the email reply to ${mail.envelope.to.join(', ')}:`);
    this.log(`     Subject: ${mail.subject ?? ''}`);
    this.log(`     In-Reply-To: ${mail.inReplyTo ?? ''} (the customer's mail)`);
    this.log(`     Reply-To: ${mail.headers['reply-to'] ?? ''} (signed thread address)`);

    this.step = 'waiting for the chat reply on the visitor socket';
    const chatReply = await expectEventually(
      () => {
        const found = this.chatReplies.find((reply) =>
          conversations.some((item) => item.label === 'chat' && item.reply === reply.text),
        );
        if (!found) throw new Error('the visitor has not received the reply yet');
        return found;
      },
      { timeoutMs: STEP_TIMEOUT_MS, intervalMs: 100 },
    );
    this.socket?.emit('message:ack', { messageIds: [chatReply.id] });
    this.log(`8. the chat visitor's socket received the reply (agent:message ${chatReply.id})`);

    this.step = 'demo-agent resolves the conversations and goes offline';
    for (const item of conversations) {
      await this.call(
        this.conversationApi,
        'resolve',
        { conversationId: item.conversation?.id ?? '' },
        this.agentToken,
      );
    }
    await this.call(
      this.agentApi,
      'setPresence',
      { status: routerV1.PresenceStatus.OFFLINE },
      this.agentToken,
    );
    this.log(`9. ${AGENT} resolved the three conversations and went offline`);
    this.log(
      `done in ${((Date.now() - this.startedAt.getTime()) / 1000).toFixed(1)} s; outbound mail keeps going to the relay stand-in at ${this.setup.relay.url}`,
    );
  }

  private async sendEmail(): Promise<DemoConversation> {
    this.step = `sending a customer email by SMTP to 127.0.0.1:${this.targets.smtpPort}`;
    const messageId = this.emailMessageId;
    const subject = 'Where is my order #1042?';
    const transport = createTransport({
      host: '127.0.0.1',
      port: this.targets.smtpPort,
      secure: false,
      ignoreTLS: true,
    });
    try {
      await transport.sendMail({
        from: `Alex Customer <${CUSTOMER_EMAIL}>`,
        to: SUPPORT_ADDRESS,
        subject,
        messageId,
        text: 'Hello, my order #1042 has not arrived yet. Could you check where it is?\n\nAlex',
      });
    } finally {
      transport.close();
    }
    this.log(`2. email  ${CUSTOMER_EMAIL} → ${SUPPORT_ADDRESS} "${subject}" (SMTP 250)`);
    return {
      label: 'email',
      channel: commonV1.Channel.EMAIL,
      matches: (conversation) => conversation.threadKey.includes(messageId.slice(1, -1)),
      reply: 'Hi Alex, your order #1042 ships today.',
    };
  }

  private async sendChat(): Promise<DemoConversation> {
    this.step = `opening a visitor socket on ${this.targets.chatGatewayUrl}/chat/socket`;
    const socket = io(this.targets.chatGatewayUrl, {
      path: '/chat/socket',
      transports: ['websocket'],
      auth: { tenantId: TENANT },
      extraHeaders: { origin: CHAT_ORIGIN },
      reconnection: false,
      forceNew: true,
    });
    this.socket = socket;
    socket.on('agent:message', (message: ChatAgentMessage) => this.chatReplies.push(message));
    const session = await new Promise<{ visitorId: string }>((resolve, reject) => {
      socket.once('session', (payload: { visitorId: string }) => resolve(payload));
      socket.once('connect_error', (error: Error) =>
        reject(new Error(`the chat gateway refused the visitor: ${error.message}`)),
      );
    });
    this.step = 'sending a chat message (message:send)';
    const text = 'Hi! Do you ship to Norway?';
    const ack = (await socket
      .timeout(STEP_TIMEOUT_MS)
      .emitWithAck('message:send', { clientMessageId: `demo-${this.runId}`, text })) as {
      ok: boolean;
      code?: string;
    };
    if (!ack.ok) throw new Error(`the chat gateway refused the message: ${ack.code ?? '?'}`);
    this.log(`2. chat   visitor ${session.visitorId} → tenant ${TENANT} "${text}" (acked)`);
    const threadKey = `visitor:${session.visitorId}`;
    return {
      label: 'chat',
      channel: commonV1.Channel.CHAT,
      matches: (conversation) => conversation.threadKey === threadKey,
      reply: 'Yes, we ship to Norway in 3-5 days.',
    };
  }

  private async sendWhatsApp(): Promise<DemoConversation> {
    this.step = `posting a signed WhatsApp webhook to ${this.targets.socialGatewayUrl}`;
    const from = `47${randomInt(10_000_000, 99_999_999)}`;
    const text = 'Hello, can I change the delivery address of my order?';
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: 'demo-waba',
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { phone_number_id: WHATSAPP_PHONE_NUMBER_ID },
                contacts: [{ profile: { name: 'Sam Customer' }, wa_id: from }],
                messages: [
                  {
                    from,
                    id: `wamid.demo-${this.runId}`,
                    timestamp: String(Math.floor(Date.now() / 1000)),
                    type: 'text',
                    text: { body: text },
                  },
                ],
              },
            },
          ],
        },
      ],
    });
    const signature = createHmac('sha256', META_APP_SECRET).update(body).digest('hex');
    const response = await fetch(`${this.targets.socialGatewayUrl}/webhooks/meta/${META_APP_ID}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${signature}` },
      body,
      signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
    });
    if (response.status !== 200)
      throw new Error(`the social gateway answered ${response.status}: ${await response.text()}`);
    this.log(
      `2. whatsapp +${from} → phone number ${WHATSAPP_PHONE_NUMBER_ID} "${text}" (HTTP 200)`,
    );
    return {
      label: 'whatsapp',
      channel: commonV1.Channel.WHATSAPP,
      matches: (conversation) => conversation.threadKey.includes(from),
    };
  }

  private token(subject: string, roles: string[], queues: string[]): Promise<string> {
    return new SignJWT({ tenant: TENANT, roles, queues })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(this.targets.jwtSecret));
  }

  private bearer(token: string): Metadata {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${token}`);
    return metadata;
  }

  /** Prints why the router queued the conversation where it did (RoutingAdminService). */
  private async explainQueueing(label: string, conversationId: string): Promise<void> {
    this.step = `asking the router why the ${label} was queued (RoutingAdminService.ExplainDecision)`;
    const queued = await expectEventually(
      async () => {
        const { decisions } = await this.call<routerAdminV1.ExplainDecisionResponse>(
          this.routingAdminApi,
          'explainDecision',
          // Every field: the generated encoder writes whatever is present, even undefined.
          {
            decisionId: '',
            conversationId,
            limit: 20,
          } satisfies routerAdminV1.ExplainDecisionRequest,
          this.supervisorToken,
        );
        const found = decisions.find((decision) => decision.type === 'queued');
        if (!found) throw new Error(`no queued decision recorded for ${conversationId} yet`);
        return found;
      },
      { timeoutMs: STEP_TIMEOUT_MS, intervalMs: 200 },
    );
    this.log(`   why (ExplainDecision): ${queued.rules.join('; ')}`);
  }

  private call<Res>(
    client: GrpcClient | undefined,
    method: string,
    request: object,
    token: string,
  ): Promise<Res> {
    if (!client) return Promise.reject(new Error('no gRPC client'));
    return new Promise<Res>((resolve, reject) => {
      const fn = (client[method] as Unary).bind(client);
      fn(request, this.bearer(token), (error, response) =>
        error ? reject(new Error(`${method}: ${error.message}`)) : resolve(response as Res),
      );
    });
  }

  async close(): Promise<void> {
    this.offerStream?.cancel();
    this.socket?.close();
    this.agentApi?.close();
    this.conversationApi?.close();
    this.routingAdminApi?.close();
  }
}
