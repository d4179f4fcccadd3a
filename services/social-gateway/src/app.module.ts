import { type DynamicModule, Module } from '@nestjs/common';
import { topicSpecsFor } from '@switchboard/events';
import type { KafkaClient } from '@switchboard/kafka';
import type { MetricsRegistry } from '@switchboard/metrics';
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
import type { Logger } from 'pino';
import { AccountDirectory } from './accounts/account-directory';
import type { SocialGatewayConfig } from './config/social-gateway.config';
import { AcceptWebhookUpdatesUseCase } from './inbound/accept-webhook-updates.usecase';
import {
  KafkaSocialEventPublisher,
  type SocialEventPublisher,
} from './kafka/social-event.publisher';
import { DeliverOutboundMessageUseCase } from './outbound/deliver-outbound-message.usecase';
import { OutboundMessageConsumer } from './outbound/outbound-message.consumer';
import { PlatformProviderFactory } from './outbound/providers/platform-provider.factory';
import type { Clock } from './shared/clock';
import { SocialMetrics } from './shared/social-metrics';
import { SOCIAL_CLOCK, SOCIAL_EVENT_PUBLISHER, SOCIAL_WIRING } from './shared/tokens';
import { productionWiring, type SocialGatewayWiring } from './social-gateway.wiring';
import { RedisOutboundLedger } from './state/outbound-ledger.store';
import { RedisSeenDeliveryStore } from './state/seen-delivery.store';
import { RedisSentMessageIndex } from './state/sent-message.index';
import { RedisServiceWindowStore } from './state/service-window.store';
import { MetaWebhookController } from './webhooks/meta-webhook.controller';
import { TelegramCallbackAnswerer } from './webhooks/telegram-callback.answerer';
import { TelegramWebhookController } from './webhooks/telegram-webhook.controller';
import { XWebhookController } from './webhooks/x-webhook.controller';

@Module({})
export class AppModule {
  static forRoot(
    config: SocialGatewayConfig,
    wiring: SocialGatewayWiring = productionWiring,
  ): DynamicModule {
    const accounts = new AccountDirectory(config.accounts);
    const { topics } = wiring;
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({ serviceName: 'social-gateway', logLevel: config.LOG_LEVEL }),
        KafkaModule.forRoot({
          brokers: config.KAFKA_BROKERS,
          clientId: 'social-gateway',
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
          connectionName: 'social-gateway',
        }),
      ],
      controllers: [MetaWebhookController, TelegramWebhookController, XWebhookController],
      providers: [
        { provide: SOCIAL_WIRING, useValue: wiring },
        { provide: SOCIAL_CLOCK, useValue: wiring.clock },
        { provide: AccountDirectory, useValue: accounts },
        {
          provide: SocialMetrics,
          inject: [METRICS_REGISTRY],
          useFactory: (registry: MetricsRegistry) => new SocialMetrics(registry),
        },
        {
          provide: SOCIAL_EVENT_PUBLISHER,
          inject: [KAFKA_CLIENT],
          useFactory: (kafka: KafkaClient): SocialEventPublisher =>
            new KafkaSocialEventPublisher(
              kafka.createProducer({ sendTimeoutMs: config.KAFKA_SEND_TIMEOUT_MS }),
              topics,
            ),
        },
        {
          provide: AcceptWebhookUpdatesUseCase,
          inject: [REDIS_CLIENT, SOCIAL_EVENT_PUBLISHER, SocialMetrics, ROOT_LOGGER],
          useFactory: (
            redis: RedisClient,
            publisher: SocialEventPublisher,
            metrics: SocialMetrics,
            logger: Logger,
          ) =>
            new AcceptWebhookUpdatesUseCase(
              accounts,
              new RedisSeenDeliveryStore(redis, config.INBOUND_DEDUPE_TTL_SECONDS),
              new RedisServiceWindowStore(redis),
              new RedisSentMessageIndex(redis),
              publisher,
              metrics,
              logger.child({ component: 'webhooks' }),
            ),
        },
        {
          provide: DeliverOutboundMessageUseCase,
          inject: [REDIS_CLIENT, SOCIAL_EVENT_PUBLISHER, SocialMetrics, SOCIAL_CLOCK, ROOT_LOGGER],
          useFactory: (
            redis: RedisClient,
            publisher: SocialEventPublisher,
            metrics: SocialMetrics,
            clock: Clock,
            logger: Logger,
          ) =>
            new DeliverOutboundMessageUseCase(
              accounts,
              PlatformProviderFactory.forBaseUrls({
                metaGraph: config.META_GRAPH_BASE_URL,
                telegram: config.TELEGRAM_API_BASE_URL,
                x: config.X_API_BASE_URL,
              }),
              new RedisOutboundLedger(redis),
              new RedisServiceWindowStore(redis),
              new RedisSentMessageIndex(redis),
              publisher,
              {
                maxAttempts: config.OUTBOUND_MAX_ATTEMPTS,
                baseDelayMs: config.OUTBOUND_RETRY_BASE_MS,
                maxDelayMs: config.OUTBOUND_RETRY_MAX_DELAY_MS,
              },
              metrics,
              clock,
              logger.child({ component: 'outbound' }),
            ),
        },
        {
          provide: TelegramCallbackAnswerer,
          inject: [ROOT_LOGGER],
          useFactory: (logger: Logger) =>
            new TelegramCallbackAnswerer(
              config.TELEGRAM_API_BASE_URL,
              logger.child({ component: 'telegram-callbacks' }),
            ),
        },
        OutboundMessageConsumer,
      ],
    };
  }
}
