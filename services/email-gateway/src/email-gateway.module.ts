import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Inject,
  Injectable,
  Module,
} from '@nestjs/common';
import { Topics } from '@switchboard/events';
import type { KafkaClient, MessageConsumer, MessageProducer } from '@switchboard/kafka';
import type { RedisClient } from '@switchboard/redis';
import { KAFKA_CLIENT, REDIS_CLIENT, ROOT_LOGGER } from '@switchboard/service-kit';
import type { Logger } from 'pino';
import {
  boundedSystemResolver,
  MAIL_AUTHENTICATOR,
  type MailAuthenticator,
  MailauthAuthenticator,
  stubResolver,
} from './authenticity/mail-authenticator';
import { type EmailGatewayConfig, smtpRelaySettings } from './config/email-gateway.config';
import { ImapAccountPoller } from './inbound/imap/imap-account-poller';
import { RedisImapCheckpointStore } from './inbound/imap/imap-checkpoint.store';
import { PollImapMailboxUseCase } from './inbound/imap/poll-imap-mailbox.usecase';
import { IngestMailUseCase } from './inbound/ingest-mail.usecase';
import { DEFAULT_PARSE_LIMITS } from './inbound/parsing/parse-mail';
import type { MailTransport } from './outbound/mail-transport';
import { NodemailerMailTransport } from './outbound/nodemailer-mail-transport';
import { createOutboundMailConsumer, outboundMailHandler } from './outbound/outbound-mail.consumer';
import { type OutboundLedger, RedisOutboundLedger } from './outbound/outbound-ledger';
import { ReportBounceUseCase } from './outbound/report-bounce.usecase';
import { SendOutboundMailUseCase } from './outbound/send-outbound-mail.usecase';
import { systemClock } from './shared/clock';
import { BLOB_STORAGE, type BlobStorage, LocalDiskStorage } from './storage/blob-storage';
import { TenantDirectory } from './tenants/tenant-directory';
import { RedisThreadIndex, type ThreadIndex } from './threading/thread-index';
import { ThreadSigner } from './threading/thread-signer';
import { RawMimeController } from './transport/raw-mime.controller';
import { RAW_MIME_SETTINGS } from './transport/raw-mime.settings';
import { SmtpInboundServer } from './transport/smtp-inbound.server';

const EMAIL_CONFIG = Symbol('EMAIL_CONFIG');
const INBOUND_PRODUCER = Symbol('INBOUND_PRODUCER');
const OUTBOUND_PRODUCER = Symbol('OUTBOUND_PRODUCER');
const THREAD_INDEX = Symbol('THREAD_INDEX');
const OUTBOUND_LEDGER = Symbol('OUTBOUND_LEDGER');
/** Consuming again after a failed start (Kafka not up yet) instead of stopping the service. */
const OUTBOUND_START_RETRY_MS = 5_000;

/** Starts the SMTP server after HTTP listens (runService afterListen) and drains it on shutdown. */
@Injectable()
export class SmtpServerLifecycle implements BeforeApplicationShutdown {
  readonly server: SmtpInboundServer;
  private listening = false;

  constructor(
    @Inject(EMAIL_CONFIG) config: EmailGatewayConfig,
    tenants: TenantDirectory,
    ingest: IngestMailUseCase,
    @Inject(ROOT_LOGGER) logger: Logger,
  ) {
    this.server = new SmtpInboundServer(
      {
        port: config.SMTP_PORT,
        host: config.SMTP_HOST,
        maxMessageBytes: config.SMTP_MAX_MESSAGE_BYTES,
        tlsKeyFile: config.SMTP_TLS_KEY_FILE,
        tlsCertFile: config.SMTP_TLS_CERT_FILE,
      },
      tenants,
      ingest,
      logger.child({ component: 'smtp' }),
    );
  }

  async listen(): Promise<number> {
    const port = await this.server.listen();
    this.listening = true;
    return port;
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.listening) await this.server.close();
  }
}

/**
 * One poller per IMAP account of the tenants file, started after SMTP listens. On shutdown each
 * finishes the mail in hand (on Kafka and checkpointed) before the Kafka and Redis connections
 * close (they close in onApplicationShutdown, after this hook).
 */
@Injectable()
export class ImapPollingLifecycle implements BeforeApplicationShutdown {
  private readonly pollers: ImapAccountPoller[] = [];
  private readonly logger: Logger;

  constructor(
    @Inject(EMAIL_CONFIG) private readonly config: EmailGatewayConfig,
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    private readonly tenants: TenantDirectory,
    private readonly ingest: IngestMailUseCase,
    @Inject(ROOT_LOGGER) logger: Logger,
  ) {
    this.logger = logger.child({ component: 'imap' });
  }

  /** Starts the pollers in the background; an unreachable server is retried, never fatal. */
  start(): void {
    const poll = new PollImapMailboxUseCase({
      ingest: this.ingest,
      checkpoints: new RedisImapCheckpointStore(this.redis),
      clock: systemClock,
    });
    for (const { tenantId, address, account } of this.tenants.imapAccounts()) {
      const poller = new ImapAccountPoller({
        tenantId,
        address,
        account,
        poll,
        logger: this.logger,
        retryBaseMs: this.config.IMAP_RETRY_BASE_MS,
        retryMaxDelayMs: this.config.IMAP_RETRY_MAX_DELAY_MS,
        connectionTimeoutMs: this.config.IMAP_CONNECTION_TIMEOUT_MS,
      });
      poller.start();
      this.pollers.push(poller);
    }
    if (this.pollers.length > 0)
      this.logger.info({ imapAccounts: this.pollers.length }, 'IMAP pollers started');
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.pollers.map((poller) => poller.stop()));
  }
}

/**
 * Consumes agent replies for the email channel and sends them through the relay. Without a
 * configured relay nothing is consumed, so replies wait on Kafka (the group starts from the
 * beginning) instead of failing.
 */
@Injectable()
export class OutboundMailLifecycle implements BeforeApplicationShutdown {
  private consumer: MessageConsumer | undefined;
  private transport: MailTransport | undefined;
  private retry: NodeJS.Timeout | undefined;
  private stopping = false;
  private readonly logger: Logger;

  constructor(
    @Inject(EMAIL_CONFIG) private readonly config: EmailGatewayConfig,
    @Inject(KAFKA_CLIENT) private readonly kafka: KafkaClient,
    @Inject(OUTBOUND_PRODUCER) private readonly producer: MessageProducer,
    @Inject(OUTBOUND_LEDGER) private readonly ledger: OutboundLedger,
    @Inject(THREAD_INDEX) private readonly threadIndex: ThreadIndex,
    @Inject(BLOB_STORAGE) private readonly storage: BlobStorage,
    private readonly signer: ThreadSigner,
    private readonly tenants: TenantDirectory,
    @Inject(ROOT_LOGGER) logger: Logger,
  ) {
    this.logger = logger.child({ component: 'outbound' });
  }

  /** Starts consuming in the background; a Kafka that is not up yet is retried, not fatal. */
  start(): void {
    const relay = smtpRelaySettings(this.config);
    if (relay === undefined) {
      this.logger.warn({}, 'no SMTP relay configured (SMTP_RELAY_URL/HOST): outbound mail waits');
      return;
    }
    this.transport = new NodemailerMailTransport(relay);
    void this.startConsuming(this.transport);
  }

  private async startConsuming(transport: MailTransport): Promise<void> {
    if (this.stopping) return;
    const sendMail = new SendOutboundMailUseCase({
      transport,
      ledger: this.ledger,
      threadIndex: this.threadIndex,
      signer: this.signer,
      tenants: this.tenants,
      storage: this.storage,
      producer: this.producer,
      clock: systemClock,
      maxAttempts: this.config.OUTBOUND_EMAIL_MAX_ATTEMPTS,
      deliveryStatusTopic: this.config.KAFKA_TOPIC_PREFIX + Topics.deliveryStatus,
    });
    const outboundTopic = this.config.KAFKA_TOPIC_PREFIX + Topics.outboundMessages;
    this.consumer = createOutboundMailConsumer(
      this.kafka,
      outboundMailHandler(sendMail, this.producer, outboundTopic, this.logger),
      {
        groupId: `${this.config.KAFKA_TOPIC_PREFIX}email-gateway-outbound`,
        outboundTopic,
        maxAttempts: this.config.OUTBOUND_EMAIL_MAX_ATTEMPTS,
        retryBaseMs: this.config.OUTBOUND_EMAIL_RETRY_BASE_MS,
        retryMaxDelayMs: this.config.OUTBOUND_EMAIL_RETRY_MAX_DELAY_MS,
      },
    );
    try {
      await this.consumer.start();
      this.logger.info({}, 'outbound mail consumer started');
    } catch (error) {
      this.logger.warn({ err: error }, 'outbound mail consumer could not start yet; retrying');
      await this.consumer.stop().catch(() => undefined);
      this.consumer = undefined;
      if (!this.stopping)
        this.retry = setTimeout(() => void this.startConsuming(transport), OUTBOUND_START_RETRY_MS);
    }
  }

  // The in-flight send finishes and its offset is committed before connections close.
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.retry);
    await this.consumer?.stop();
    await this.producer.disconnect();
    this.transport?.close();
  }
}

/**
 * Inbound mail: SMTP, raw-MIME HTTP and IMAP polling → parse, thread, archive → Kafka.
 * Outbound mail: Kafka → relay, with delivery statuses back to Kafka.
 */
@Module({})
export class EmailGatewayModule {
  static forRoot(config: EmailGatewayConfig, tenants: TenantDirectory): DynamicModule {
    return {
      module: EmailGatewayModule,
      controllers: [RawMimeController],
      providers: [
        { provide: EMAIL_CONFIG, useValue: config },
        { provide: TenantDirectory, useValue: tenants },
        { provide: ThreadSigner, useValue: new ThreadSigner(config.EMAIL_THREAD_SECRET) },
        { provide: BLOB_STORAGE, useValue: new LocalDiskStorage(config.EMAIL_STORAGE_DIR) },
        {
          provide: RAW_MIME_SETTINGS,
          useValue: {
            secret: config.RAW_MIME_INGEST_SECRET,
            maxMessageBytes: config.SMTP_MAX_MESSAGE_BYTES,
          },
        },
        {
          provide: MAIL_AUTHENTICATOR,
          useValue: new MailauthAuthenticator(
            config.MAILAUTH_DNS === 'system' ? boundedSystemResolver() : stubResolver({}),
            'switchboard-email-gateway',
          ),
        },
        {
          provide: INBOUND_PRODUCER,
          inject: [KAFKA_CLIENT],
          useFactory: (kafka: KafkaClient) => kafka.createProducer({ sendTimeoutMs: 5_000 }),
        },
        {
          provide: OUTBOUND_PRODUCER,
          inject: [KAFKA_CLIENT],
          useFactory: (kafka: KafkaClient) => kafka.createProducer({ sendTimeoutMs: 5_000 }),
        },
        {
          provide: THREAD_INDEX,
          inject: [REDIS_CLIENT],
          useFactory: (redis: RedisClient) => new RedisThreadIndex(redis),
        },
        {
          provide: OUTBOUND_LEDGER,
          inject: [REDIS_CLIENT],
          useFactory: (redis: RedisClient) => new RedisOutboundLedger(redis),
        },
        {
          provide: IngestMailUseCase,
          inject: [
            INBOUND_PRODUCER,
            BLOB_STORAGE,
            THREAD_INDEX,
            ThreadSigner,
            MAIL_AUTHENTICATOR,
            OUTBOUND_LEDGER,
          ],
          useFactory: (
            producer: MessageProducer,
            storage: BlobStorage,
            threadIndex: ThreadIndex,
            signer: ThreadSigner,
            authenticator: MailAuthenticator,
            ledger: OutboundLedger,
          ) =>
            new IngestMailUseCase({
              producer,
              storage,
              threadIndex,
              signer,
              authenticator,
              bounceReporter: new ReportBounceUseCase({
                ledger,
                producer,
                clock: systemClock,
                deliveryStatusTopic: config.KAFKA_TOPIC_PREFIX + Topics.deliveryStatus,
              }),
              inboundTopic: config.KAFKA_TOPIC_PREFIX + Topics.inboundMessages,
              limits: {
                ...DEFAULT_PARSE_LIMITS,
                maxAttachmentBytes: config.EMAIL_MAX_ATTACHMENT_BYTES,
                maxBodyChars: 256 * 1024,
              },
            }),
        },
        SmtpServerLifecycle,
        OutboundMailLifecycle,
        ImapPollingLifecycle,
      ],
    };
  }
}
