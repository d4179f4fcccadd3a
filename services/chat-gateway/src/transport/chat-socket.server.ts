import type { Server as HttpServer } from 'node:http';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { createAdapter } from '@socket.io/redis-adapter';
import type { RedisClient } from '@switchboard/redis';
import { REDIS_CLIENT, ROOT_LOGGER } from '@switchboard/service-kit';
import type { Logger } from 'pino';
import { Server, type Socket } from 'socket.io';
import type { ChatTenant } from '../config/chat-tenants.config';
import { ReportVisitorActivityUseCase } from '../activity/report-visitor-activity.usecase';
import {
  type AcceptedVisitorMessage,
  SendVisitorMessageUseCase,
} from '../inbound/send-visitor-message.usecase';
import {
  type HistoryEntry,
  LoadVisitorHistoryUseCase,
} from '../history/load-visitor-history.usecase';
import { ChatMetrics } from '../metrics/chat-metrics';
import { GetQueueStatusUseCase } from '../queue/get-queue-status.usecase';
import { AcknowledgeAgentRepliesUseCase } from '../outbound/acknowledge-agent-replies.usecase';
import type { PendingReply, ReplyMailbox } from '../outbound/reply-mailbox.store';
import { type AgentMessageEvent, toAgentMessageEvent } from '../outbound/visitor-push';
import { StartVisitorSessionUseCase } from '../sessions/start-visitor-session.usecase';
import { SubmitPrechatUseCase } from '../sessions/submit-prechat.usecase';
import type { VisitorSession } from '../sessions/visitor-session.store';
import { ChatError } from '../shared/chat-error';
import { CHAT_LIMITS, type ChatLimits, QUEUE_WATCH_OPTIONS, REPLY_MAILBOX } from '../shared/tokens';
import {
  type QueueStatusEvent,
  QueueStatusWatch,
  type QueueWatchOptions,
} from './queue-status.watch';
import { handlePublishFailures } from './handled-publish';
import { SocketRoomPush, threadRoom } from './socket-room.push';
import {
  parseHandshake,
  parseMessageIds,
  parsePrechat,
  parseSendMessage,
  parseTyping,
} from './visitor-payload.parser';

interface VisitorSocketData {
  session: VisitorSession;
  /** The bearer token of the session (new or resumed): the pre-chat form updates it. */
  sessionToken: string;
  tenant: ChatTenant;
  newToken?: string;
  clientIp: string;
  knownMessageIds: string[];
  /** Present when the router's wait estimates are configured. */
  queueWatch?: QueueStatusWatch;
}
interface WireError {
  code: string;
  message: string;
  retryable: boolean;
}
/** Visitor events are untrusted: their payloads arrive as unknown and are parsed. */
type ClientToServerEvents = Record<string, (payload: unknown, ack: unknown) => void>;
interface ServerToClientEvents {
  session: (session: {
    sessionToken?: string;
    visitorId: string;
    verified: boolean;
    offline: boolean;
    prechatTopics: string[];
    /** What the pre-chat form gave so far; empty until it was filled in. */
    prechat: PrechatAnswers;
  }) => void;
  history: (history: { messages: HistoryEntry[] }) => void;
  'agent:message': (message: AgentMessageEvent) => void;
  'agent:typing': (activity: { isTyping: boolean; name: string }) => void;
  'agent:read': (activity: { upToMessageId: string }) => void;
  'queue:status': (status: QueueStatusEvent) => void;
  'chat:error': (error: WireError & { event: string }) => void;
}
type VisitorSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  VisitorSocketData
>;
type Ack = (answer: unknown) => void;
type PrechatAnswers = Pick<VisitorSession, 'name' | 'email' | 'topic'>;

function prechatOf(session: VisitorSession): PrechatAnswers {
  return {
    ...(session.name !== undefined ? { name: session.name } : {}),
    ...(session.email !== undefined ? { email: session.email } : {}),
    ...(session.topic !== undefined ? { topic: session.topic } : {}),
  };
}

/**
 * The visitor WebSocket endpoint (socket.io on the service's HTTP port, path /chat/socket).
 * Transport only: it turns socket events into use-case calls and every failure into a clear
 * error answer; it never lets a visitor's input throw past it.
 */
@Injectable()
export class ChatSocketServer
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private io: Server | undefined;
  private adapterClients: RedisClient[] = [];
  private readonly logger: Logger;
  private readonly onSignal = (): void => {
    // The HTTP server's graceful close waits for every upgraded socket; visitors reconnect to
    // another replica and lose nothing (unacked replies stay in the mailbox).
    this.io?.local.disconnectSockets(true);
  };

  constructor(
    private readonly httpAdapterHost: HttpAdapterHost,
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    @Inject(REPLY_MAILBOX) private readonly mailbox: ReplyMailbox,
    @Inject(CHAT_LIMITS) private readonly limits: ChatLimits,
    private readonly startSession: StartVisitorSessionUseCase,
    private readonly submitPrechat: SubmitPrechatUseCase,
    private readonly sendMessage: SendVisitorMessageUseCase,
    private readonly acknowledge: AcknowledgeAgentRepliesUseCase,
    private readonly activity: ReportVisitorActivityUseCase,
    private readonly push: SocketRoomPush,
    private readonly metrics: ChatMetrics,
    @Inject(ROOT_LOGGER) rootLogger: Logger,
    /** Present when CONVERSATION_GRPC_URL is set. */
    @Optional() private readonly history?: LoadVisitorHistoryUseCase,
    /** Present when ROUTER_GRPC_URL is set. */
    @Optional() private readonly queueStatus?: GetQueueStatusUseCase,
    @Optional() @Inject(QUEUE_WATCH_OPTIONS) private readonly queueWatchOptions?: QueueWatchOptions,
  ) {
    this.logger = rootLogger.child({ component: 'visitor-sockets' });
  }

  onApplicationBootstrap(): void {
    const httpServer = this.httpAdapterHost.httpAdapter.getHttpServer() as HttpServer;
    // The Redis adapter needs its own connections (one of them subscribes); they may queue
    // commands until connected, unlike the fail-fast shared client.
    const pub = handlePublishFailures(this.redis.duplicate({ enableOfflineQueue: true }), (error) =>
      this.logger.warn({ err: error }, 'room broadcast not relayed to other replicas'),
    );
    const sub = this.redis.duplicate({ enableOfflineQueue: true });
    for (const client of [pub, sub]) client.on('error', () => undefined);
    this.adapterClients = [pub, sub];
    const io = new Server(httpServer, {
      path: '/chat/socket',
      // WebSocket only: long-polling would need sticky sessions across replicas, and every
      // browser the widget supports speaks WebSocket.
      transports: ['websocket'],
      // Room broadcasts reach sockets on every replica through Redis pub/sub. Connection-state
      // recovery is not enabled: this adapter cannot restore sessions across replicas, so the
      // mailbox of unacknowledged replies (with our own message ids) is what recovers a visitor.
      adapter: createAdapter(pub, sub, { key: `${this.limits.redisKeyPrefix}chat-socket.io` }),
      // A bound on one frame; the message limit itself is checked (with a clear answer) below.
      maxHttpBufferSize: Math.max(64 * 1024, this.limits.maxMessageBytes * 8),
      serveClient: false,
    });
    io.use((socket, next) => {
      this.admit(socket as VisitorSocket).then(
        () => next(),
        (error: unknown) => {
          const chatError = this.asChatError(error, 'handshake');
          this.metrics.connectionRejected(chatError.code);
          next(this.connectError(chatError));
        },
      );
    });
    io.on('connection', (socket) => this.onConnection(socket as VisitorSocket));
    this.io = io;
    this.push.attach(io);
    process.once('SIGTERM', this.onSignal);
    process.once('SIGINT', this.onSignal);
  }

  private async admit(socket: VisitorSocket): Promise<void> {
    const handshake = parseHandshake(socket.handshake.auth);
    const clientIp = this.limits.trustedProxies.clientAddress(
      socket.handshake.address,
      socket.handshake.headers['x-forwarded-for'],
    );
    const started = await this.startSession.execute({
      tenantId: handshake.tenantId,
      origin: socket.handshake.headers.origin,
      clientIp,
      sessionToken: handshake.sessionToken,
      identity: handshake.identity,
      prechat: handshake.prechat,
    });
    const sessionToken = started.newToken ?? handshake.sessionToken;
    // A resumed session always came with its token; a new one always gets one.
    if (sessionToken === undefined) throw new Error('a session without a token');
    socket.data = {
      ...started,
      sessionToken,
      clientIp,
      knownMessageIds: handshake.knownMessageIds ?? [],
    };
  }

  private onConnection(socket: VisitorSocket): void {
    const { session, tenant, newToken } = socket.data;
    this.metrics.socketConnected();
    const queueWatch = this.queueWatchFor(socket);
    socket.once('disconnect', () => {
      this.metrics.socketDisconnected();
      queueWatch?.stop();
    });
    // A returning visitor may be waiting already; a new one starts waiting with a first message.
    if (newToken === undefined) queueWatch?.start();
    void socket.join(threadRoom(session.tenantId, session.threadKey));
    socket.emit('session', {
      ...(newToken !== undefined ? { sessionToken: newToken } : {}),
      visitorId: session.visitorId,
      verified: session.verified,
      offline: tenant.offline,
      prechatTopics: tenant.prechatTopics,
      prechat: prechatOf(session),
    });
    this.handle(socket, 'prechat:submit', async (payload) => {
      const session = await this.submitPrechat.execute({
        session: socket.data.session,
        sessionToken: socket.data.sessionToken,
        tenant: socket.data.tenant,
        clientIp: socket.data.clientIp,
        form: parsePrechat(payload),
      });
      // Other sockets of this session (another tab) see the form from their next connection.
      socket.data.session = session;
      return { ok: true, prechat: prechatOf(session) };
    });
    this.handle(socket, 'message:send', async (payload) => {
      let accepted: AcceptedVisitorMessage & { clientMessageId: string };
      try {
        const { clientMessageId, text } = parseSendMessage(payload, this.limits.maxMessageBytes);
        accepted = {
          clientMessageId,
          ...(await this.sendMessage.execute({
            session: socket.data.session,
            tenant: socket.data.tenant,
            clientIp: socket.data.clientIp,
            clientMessageId,
            text,
            // Nobody can answer now: routing and agents see it was left for later.
            offline: socket.data.queueWatch?.latest?.agentsOnline === false,
          })),
        };
        socket.data.queueWatch?.start();
      } catch (error) {
        const chatError = this.asChatError(error, 'message:send');
        this.metrics.messageRejected(chatError.code);
        throw chatError;
      }
      this.metrics.messageAccepted(accepted.duplicate);
      const { clientMessageId } = accepted;
      return {
        ok: true,
        clientMessageId,
        messageId: accepted.messageId,
        conversationMessageId: accepted.conversationMessageId,
        duplicate: accepted.duplicate,
      };
    });
    this.handle(socket, 'message:ack', async (payload) => {
      this.metrics.repliesDelivered(
        await this.acknowledge.delivered(socket.data.session, parseMessageIds(payload)),
      );
      return { ok: true };
    });
    this.handle(socket, 'message:read', async (payload) => {
      const { session } = socket.data;
      const { newlyDelivered, newlyRead } = await this.acknowledge.read(
        session,
        parseMessageIds(payload),
      );
      this.metrics.repliesDelivered(newlyDelivered);
      const lastRead = newlyRead.at(-1);
      if (lastRead !== undefined) {
        // A live signal for agent UIs; the read status itself is already on Kafka.
        await this.activity.read(session, lastRead).catch((error: unknown) => {
          this.logger.warn({ err: error }, 'visitor read activity not sent');
        });
      }
      return { ok: true };
    });
    this.handle(socket, 'typing', async (payload) => {
      const isTyping = parseTyping(payload);
      return { ok: true, sent: await this.activity.typing(socket.data.session, isTyping) };
    });
    socket.onAny((event: unknown) => {
      if (typeof event !== 'string' || !KNOWN_EVENTS.has(event)) {
        socket.emit('chat:error', {
          event: String(event),
          ...new ChatError('invalid_payload', `unknown event "${String(event)}"`).toWire(),
        });
      }
    });
    void this.sendBacklog(socket);
  }

  private queueWatchFor(socket: VisitorSocket): QueueStatusWatch | undefined {
    const { queueStatus, queueWatchOptions } = this;
    if (!queueStatus || !queueWatchOptions) return undefined;
    const watch = new QueueStatusWatch(
      () => queueStatus.execute(socket.data.session),
      (status) => socket.emit('queue:status', status),
      queueWatchOptions,
    );
    socket.data.queueWatch = watch;
    return watch;
  }

  /**
   * The conversation's history (when the conversation service is configured), then whatever the
   * visitor has not acknowledged yet, oldest first. History leaves out what the widget said it
   * shows and the replies replayed right after it, which need the widget's ack.
   */
  private async sendBacklog(socket: VisitorSocket): Promise<void> {
    const { session } = socket.data;
    let replies: PendingReply[];
    try {
      replies = await this.mailbox.pending(session.tenantId, session.threadKey);
    } catch (error) {
      // The replies stay in the mailbox and go out on the next connection.
      this.logger.warn({ err: error }, 'pending replies not sent');
      return;
    }
    await this.sendHistory(socket, new Set(replies.map((reply) => reply.messageId)));
    for (const reply of replies) socket.emit('agent:message', toAgentMessageEvent(reply));
  }

  private async sendHistory(socket: VisitorSocket, pendingIds: ReadonlySet<string>): Promise<void> {
    if (!this.history) return;
    const { session, knownMessageIds } = socket.data;
    try {
      const messages = await this.history.execute(session, new Set(knownMessageIds), pendingIds);
      if (messages !== undefined) socket.emit('history', { messages });
    } catch (error) {
      // Best effort: the chat works without it, and the next connection asks again.
      this.logger.warn({ err: error }, 'conversation history not available');
    }
  }

  /**
   * Runs one visitor event and answers through its ack callback, or with a `chat:error` event
   * when the client sent no callback. Unexpected failures become "retry later", never a crash.
   */
  private handle(
    socket: VisitorSocket,
    event: string,
    run: (payload: unknown) => Promise<object>,
  ): void {
    socket.on(event, (payload: unknown, ack: unknown) => {
      run(payload).then(
        (answer) => {
          if (typeof ack === 'function') (ack as Ack)(answer);
        },
        (error: unknown) => {
          const wire = this.asChatError(error, event).toWire();
          if (typeof ack === 'function') (ack as Ack)({ ok: false, error: wire });
          else socket.emit('chat:error', { event, ...wire });
        },
      );
    });
  }

  private asChatError(error: unknown, context: string): ChatError {
    if (error instanceof ChatError) return error;
    this.logger.error({ err: error, context }, 'visitor request failed');
    return new ChatError(
      'temporarily_unavailable',
      'something went wrong on our side; retry later',
      true,
    );
  }

  private connectError(chatError: ChatError): Error {
    const connectError = new Error(chatError.message) as Error & { data: unknown };
    connectError.data = chatError.toWire();
    return connectError;
  }

  beforeApplicationShutdown(): void {
    process.off('SIGTERM', this.onSignal);
    process.off('SIGINT', this.onSignal);
    this.io?.local.disconnectSockets(true);
    this.io?.engine.close();
  }

  /**
   * The adapter's Redis connections close only now, after every beforeApplicationShutdown hook:
   * the Kafka consumers that push replies and agent activity through the adapter have stopped by
   * then, so no broadcast is issued on a connection that is quitting.
   */
  async onApplicationShutdown(): Promise<void> {
    // Closes the adapter's subscriptions but not the HTTP server, which Nest closes itself.
    await this.io?.of('/').adapter.close();
    await Promise.all(
      this.adapterClients.map((client) => client.quit().catch(() => client.disconnect())),
    );
  }
}

const KNOWN_EVENTS = new Set([
  'message:send',
  'message:ack',
  'message:read',
  'typing',
  'prechat:submit',
]);
