import { hostname } from 'node:os';
import { type DynamicModule, Module } from '@nestjs/common';
import { topicSpecsFor } from '@switchboard/events';
import type { KafkaClient } from '@switchboard/kafka';
import type { RedisClient } from '@switchboard/redis';
import {
  KAFKA_CLIENT,
  KafkaModule,
  METRICS_REGISTRY,
  REDIS_CLIENT,
  RedisModule,
  ROOT_LOGGER,
  ServiceKitModule,
} from '@switchboard/service-kit';
import type { MetricsRegistry } from '@switchboard/metrics';
import type { Logger } from 'pino';
import { ConversationActivityConsumer } from './activity/conversation-activity.consumer';
import { RelayAgentActivityUseCase } from './activity/relay-agent-activity.usecase';
import { ReportVisitorActivityUseCase } from './activity/report-visitor-activity.usecase';
import { RedisActivityThrottle } from './activity/typing-throttle.store';
import { type ChatGatewayWiring, prefixedWiring } from './chat-gateway.wiring';
import type { ChatGatewayConfig } from './config/chat-gateway.config';
import { EmailFallbackScanner } from './email-fallback/email-fallback.scanner';
import { RedisEmailFallbackSchedule } from './email-fallback/email-fallback.store';
import { SendEmailFallbacksUseCase } from './email-fallback/send-email-fallbacks.usecase';
import {
  RedisVisitorContactStore,
  type VisitorContactStore,
} from './email-fallback/visitor-contact.store';
import { ConversationEventsConsumer } from './history/conversation-events.consumer';
import { GrpcConversationHistory } from './history/grpc-conversation-history';
import { LoadVisitorHistoryUseCase } from './history/load-visitor-history.usecase';
import {
  RedisThreadConversationStore,
  type ThreadConversationStore,
} from './history/thread-conversation.store';
import { RedisAcceptedMessageStore } from './inbound/accepted-message.store';
import { SendVisitorMessageUseCase } from './inbound/send-visitor-message.usecase';
import { type ChatEventPublisher, KafkaChatEventPublisher } from './kafka/chat-event.publisher';
import { ChatMetrics } from './metrics/chat-metrics';
import { GetQueueStatusUseCase } from './queue/get-queue-status.usecase';
import { GrpcWaitEstimates } from './queue/grpc-wait-estimates';
import { AcceptAgentReplyUseCase, type ReplyFallback } from './outbound/accept-agent-reply.usecase';
import { AcknowledgeAgentRepliesUseCase } from './outbound/acknowledge-agent-replies.usecase';
import { OutboundMessageConsumer } from './outbound/outbound-message.consumer';
import { RedisReplyMailbox, type ReplyMailbox } from './outbound/reply-mailbox.store';
import { RedisRateLimiter } from './sessions/rate-limiter';
import { StartVisitorSessionUseCase } from './sessions/start-visitor-session.usecase';
import { SubmitPrechatUseCase } from './sessions/submit-prechat.usecase';
import { TenantDirectory } from './sessions/tenant-directory';
import { TrustedProxies } from './sessions/trusted-proxies';
import { RedisVisitorSessionStore } from './sessions/visitor-session.store';
import {
  CHAT_EVENT_PUBLISHER,
  CHAT_LIMITS,
  CHAT_WIRING,
  type ChatLimits,
  QUEUE_WATCH_OPTIONS,
  REPLY_MAILBOX,
  THREAD_CONVERSATIONS,
  VISITOR_CONTACTS,
} from './shared/tokens';
import { ChatSocketServer } from './transport/chat-socket.server';
import type { QueueWatchOptions } from './transport/queue-status.watch';
import { SocketRoomPush } from './transport/socket-room.push';
import { WidgetController } from './widget/widget.controller';

/** Entries one scan claims; a full batch is followed at once by the next. */
const FALLBACK_BATCH_SIZE = 100;

@Module({})
export class AppModule {
  static forRoot(
    config: ChatGatewayConfig,
    wiring: ChatGatewayWiring = prefixedWiring(config.KAFKA_TOPIC_PREFIX),
  ): DynamicModule {
    const tenants = new TenantDirectory(config.tenants);
    const { topics, clock } = wiring;
    const fallbackAfterMs = config.CHAT_EMAIL_FALLBACK_AFTER_MS;
    const conversationGrpcUrl = config.CONVERSATION_GRPC_URL;
    const jwtSecret = config.AUTH_JWT_SECRET;
    const withHistory = conversationGrpcUrl !== undefined && jwtSecret !== undefined;
    const routerGrpcUrl = config.ROUTER_GRPC_URL;
    const withQueueStatus = routerGrpcUrl !== undefined && jwtSecret !== undefined;
    const limits: ChatLimits = {
      maxMessageBytes: config.CHAT_MAX_MESSAGE_BYTES,
      redisKeyPrefix: config.REDIS_KEY_PREFIX,
      trustedProxies: new TrustedProxies(config.CHAT_TRUSTED_PROXIES),
    };
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({ serviceName: 'chat-gateway', logLevel: config.LOG_LEVEL }),
        KafkaModule.forRoot({
          brokers: config.KAFKA_BROKERS,
          clientId: 'chat-gateway',
          topics: topicSpecsFor(
            [
              topics.inboundMessages,
              topics.outboundMessages,
              topics.deliveryStatus,
              topics.conversationActivity,
              topics.conversationEvents,
            ],
            {
              partitions: config.KAFKA_TOPIC_PARTITIONS,
              replicationFactor: config.KAFKA_REPLICATION_FACTOR,
            },
          ),
        }),
        RedisModule.forRoot({
          url: config.REDIS_URL,
          keyPrefix: config.REDIS_KEY_PREFIX,
          connectionName: 'chat-gateway',
        }),
      ],
      controllers: [WidgetController],
      providers: [
        { provide: CHAT_WIRING, useValue: wiring },
        { provide: CHAT_LIMITS, useValue: limits },
        {
          provide: CHAT_EVENT_PUBLISHER,
          inject: [KAFKA_CLIENT],
          useFactory: (kafka: KafkaClient): ChatEventPublisher =>
            new KafkaChatEventPublisher(
              kafka.createProducer({ sendTimeoutMs: config.KAFKA_SEND_TIMEOUT_MS }),
              topics,
            ),
        },
        {
          provide: REPLY_MAILBOX,
          inject: [REDIS_CLIENT],
          useFactory: (redis: RedisClient): ReplyMailbox =>
            new RedisReplyMailbox(redis, config.CHAT_SESSION_TTL_SECONDS),
        },
        {
          provide: VISITOR_CONTACTS,
          inject: [REDIS_CLIENT],
          useFactory: (redis: RedisClient): VisitorContactStore =>
            new RedisVisitorContactStore(redis, config.CHAT_SESSION_TTL_SECONDS),
        },
        {
          provide: StartVisitorSessionUseCase,
          inject: [REDIS_CLIENT, VISITOR_CONTACTS],
          useFactory: (redis: RedisClient, contacts: VisitorContactStore) =>
            new StartVisitorSessionUseCase(
              tenants,
              new RedisVisitorSessionStore(redis, config.CHAT_SESSION_TTL_SECONDS),
              new RedisRateLimiter(redis),
              { ipEventsPerMinute: config.CHAT_IP_EVENTS_PER_MINUTE },
              // Email addresses are kept by thread only when they may be used.
              fallbackAfterMs !== undefined ? contacts : undefined,
            ),
        },
        {
          provide: SubmitPrechatUseCase,
          inject: [REDIS_CLIENT, VISITOR_CONTACTS],
          useFactory: (redis: RedisClient, contacts: VisitorContactStore) =>
            new SubmitPrechatUseCase(
              new RedisVisitorSessionStore(redis, config.CHAT_SESSION_TTL_SECONDS),
              new RedisRateLimiter(redis),
              { ipEventsPerMinute: config.CHAT_IP_EVENTS_PER_MINUTE },
              fallbackAfterMs !== undefined ? contacts : undefined,
            ),
        },
        {
          provide: SendVisitorMessageUseCase,
          inject: [REDIS_CLIENT, CHAT_EVENT_PUBLISHER, ROOT_LOGGER],
          useFactory: (redis: RedisClient, publisher: ChatEventPublisher, logger: Logger) =>
            new SendVisitorMessageUseCase(
              publisher,
              new RedisAcceptedMessageStore(redis, config.CHAT_SESSION_TTL_SECONDS),
              new RedisRateLimiter(redis),
              {
                sessionMessagesPerMinute: config.CHAT_SESSION_MESSAGES_PER_MINUTE,
                ipEventsPerMinute: config.CHAT_IP_EVENTS_PER_MINUTE,
              },
              clock,
              logger.child({ component: 'visitor-messages' }),
            ),
        },
        {
          provide: AcknowledgeAgentRepliesUseCase,
          inject: [REPLY_MAILBOX, CHAT_EVENT_PUBLISHER],
          useFactory: (mailbox: ReplyMailbox, publisher: ChatEventPublisher) =>
            new AcknowledgeAgentRepliesUseCase(mailbox, publisher, clock),
        },
        {
          provide: ChatMetrics,
          inject: [METRICS_REGISTRY, REPLY_MAILBOX],
          useFactory: (registry: MetricsRegistry, mailbox: ReplyMailbox) =>
            new ChatMetrics(registry, () => mailbox.pendingCount()),
        },
        SocketRoomPush,
        {
          provide: ReportVisitorActivityUseCase,
          inject: [REDIS_CLIENT, CHAT_EVENT_PUBLISHER],
          useFactory: (redis: RedisClient, publisher: ChatEventPublisher) =>
            new ReportVisitorActivityUseCase(
              publisher,
              new RedisActivityThrottle(redis),
              clock,
              `chat-gateway@${hostname()}:${process.pid}`,
            ),
        },
        {
          provide: RelayAgentActivityUseCase,
          inject: [SocketRoomPush, THREAD_CONVERSATIONS],
          useFactory: (push: SocketRoomPush, conversations: ThreadConversationStore) =>
            new RelayAgentActivityUseCase(push, clock, conversations),
        },
        ConversationActivityConsumer,
        {
          provide: AcceptAgentReplyUseCase,
          inject: [
            REPLY_MAILBOX,
            SocketRoomPush,
            REDIS_CLIENT,
            VISITOR_CONTACTS,
            THREAD_CONVERSATIONS,
          ],
          useFactory: (
            mailbox: ReplyMailbox,
            push: SocketRoomPush,
            redis: RedisClient,
            contacts: VisitorContactStore,
            conversations: ThreadConversationStore,
          ) => {
            const fallback: ReplyFallback | undefined =
              fallbackAfterMs === undefined
                ? undefined
                : {
                    schedule: new RedisEmailFallbackSchedule(
                      redis,
                      config.CHAT_SESSION_TTL_SECONDS,
                    ),
                    contacts,
                    afterMs: fallbackAfterMs,
                    clock,
                  };
            return new AcceptAgentReplyUseCase(
              mailbox,
              push,
              fallback,
              // Always learned (one small write per reply), so history works from the first
              // reconnection after CONVERSATION_GRPC_URL is set, on whichever replica consumed.
              conversations,
            );
          },
        },
        {
          provide: THREAD_CONVERSATIONS,
          inject: [REDIS_CLIENT],
          useFactory: (redis: RedisClient): ThreadConversationStore =>
            new RedisThreadConversationStore(redis, config.CHAT_SESSION_TTL_SECONDS),
        },
        ...(withHistory
          ? [
              {
                provide: GrpcConversationHistory,
                useFactory: () =>
                  new GrpcConversationHistory({
                    address: conversationGrpcUrl,
                    jwtSecret,
                    timeoutMs: config.CONVERSATION_GRPC_TIMEOUT_MS,
                  }),
              },
              {
                provide: LoadVisitorHistoryUseCase,
                inject: [GrpcConversationHistory, THREAD_CONVERSATIONS],
                useFactory: (
                  history: GrpcConversationHistory,
                  conversations: ThreadConversationStore,
                ) => new LoadVisitorHistoryUseCase(history, conversations),
              },
            ]
          : []),
        ...(withHistory || withQueueStatus ? [ConversationEventsConsumer] : []),
        ...(withQueueStatus
          ? [
              {
                provide: GrpcWaitEstimates,
                useFactory: () =>
                  new GrpcWaitEstimates({
                    address: routerGrpcUrl,
                    jwtSecret,
                    timeoutMs: config.ROUTER_GRPC_TIMEOUT_MS,
                  }),
              },
              {
                provide: GetQueueStatusUseCase,
                inject: [THREAD_CONVERSATIONS, GrpcWaitEstimates, ROOT_LOGGER],
                useFactory: (
                  conversations: ThreadConversationStore,
                  estimates: GrpcWaitEstimates,
                  logger: Logger,
                ) =>
                  new GetQueueStatusUseCase(
                    conversations,
                    estimates,
                    logger.child({ component: 'queue-status' }),
                  ),
              },
              {
                provide: QUEUE_WATCH_OPTIONS,
                useValue: {
                  intervalMs: config.CHAT_QUEUE_POLL_INTERVAL_MS,
                  maxPolls: config.CHAT_QUEUE_MAX_POLLS,
                } satisfies QueueWatchOptions,
              },
            ]
          : []),
        ChatSocketServer,
        OutboundMessageConsumer,
        ...(fallbackAfterMs === undefined
          ? []
          : [
              {
                provide: EmailFallbackScanner,
                inject: [
                  REDIS_CLIENT,
                  REPLY_MAILBOX,
                  VISITOR_CONTACTS,
                  CHAT_EVENT_PUBLISHER,
                  ChatMetrics,
                  ROOT_LOGGER,
                ],
                useFactory: (
                  redis: RedisClient,
                  mailbox: ReplyMailbox,
                  contacts: VisitorContactStore,
                  publisher: ChatEventPublisher,
                  metrics: ChatMetrics,
                  logger: Logger,
                ) =>
                  new EmailFallbackScanner(
                    new SendEmailFallbacksUseCase(
                      new RedisEmailFallbackSchedule(redis, config.CHAT_SESSION_TTL_SECONDS),
                      mailbox,
                      contacts,
                      publisher,
                      tenants,
                      clock,
                      {
                        // Longer than a Kafka send may take, so a slow replica keeps its claim.
                        leaseMs: Math.max(30_000, 3 * config.KAFKA_SEND_TIMEOUT_MS),
                        batchSize: FALLBACK_BATCH_SIZE,
                      },
                    ),
                    metrics,
                    logger.child({ component: 'email-fallback' }),
                    {
                      intervalMs: config.CHAT_EMAIL_FALLBACK_SCAN_INTERVAL_MS,
                      batchSize: FALLBACK_BATCH_SIZE,
                    },
                  ),
              },
            ]),
      ],
    };
  }
}
