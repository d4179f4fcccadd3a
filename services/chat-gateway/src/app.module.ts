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
import { type ChatGatewayWiring, prefixedWiring } from './chat-gateway.wiring';
import type { ChatGatewayConfig } from './config/chat-gateway.config';
import { RedisAcceptedMessageStore } from './inbound/accepted-message.store';
import { SendVisitorMessageUseCase } from './inbound/send-visitor-message.usecase';
import { type ChatEventPublisher, KafkaChatEventPublisher } from './kafka/chat-event.publisher';
import { ChatMetrics } from './metrics/chat-metrics';
import { AcceptAgentReplyUseCase } from './outbound/accept-agent-reply.usecase';
import { AcknowledgeAgentRepliesUseCase } from './outbound/acknowledge-agent-replies.usecase';
import { OutboundMessageConsumer } from './outbound/outbound-message.consumer';
import { RedisReplyMailbox, type ReplyMailbox } from './outbound/reply-mailbox.store';
import { RedisRateLimiter } from './sessions/rate-limiter';
import { StartVisitorSessionUseCase } from './sessions/start-visitor-session.usecase';
import { TenantDirectory } from './sessions/tenant-directory';
import { TrustedProxies } from './sessions/trusted-proxies';
import { RedisVisitorSessionStore } from './sessions/visitor-session.store';
import {
  CHAT_EVENT_PUBLISHER,
  CHAT_LIMITS,
  CHAT_WIRING,
  type ChatLimits,
  REPLY_MAILBOX,
} from './shared/tokens';
import { ChatSocketServer } from './transport/chat-socket.server';
import { SocketRoomPush } from './transport/socket-room.push';
import { WidgetController } from './widget/widget.controller';

@Module({})
export class AppModule {
  static forRoot(
    config: ChatGatewayConfig,
    wiring: ChatGatewayWiring = prefixedWiring(config.KAFKA_TOPIC_PREFIX),
  ): DynamicModule {
    const tenants = new TenantDirectory(config.tenants);
    const { topics, clock } = wiring;
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
            [topics.inboundMessages, topics.outboundMessages, topics.deliveryStatus],
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
          provide: StartVisitorSessionUseCase,
          inject: [REDIS_CLIENT],
          useFactory: (redis: RedisClient) =>
            new StartVisitorSessionUseCase(
              tenants,
              new RedisVisitorSessionStore(redis, config.CHAT_SESSION_TTL_SECONDS),
              new RedisRateLimiter(redis),
              { ipEventsPerMinute: config.CHAT_IP_EVENTS_PER_MINUTE },
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
          provide: AcceptAgentReplyUseCase,
          inject: [REPLY_MAILBOX, SocketRoomPush],
          useFactory: (mailbox: ReplyMailbox, push: SocketRoomPush) =>
            new AcceptAgentReplyUseCase(mailbox, push),
        },
        ChatSocketServer,
        OutboundMessageConsumer,
      ],
    };
  }
}
