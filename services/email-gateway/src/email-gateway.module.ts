import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Inject,
  Injectable,
  Module,
} from '@nestjs/common';
import type { KafkaClient, MessageProducer } from '@switchboard/kafka';
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
import type { EmailGatewayConfig } from './config/email-gateway.config';
import { IngestMailUseCase } from './inbound/ingest-mail.usecase';
import { DEFAULT_PARSE_LIMITS } from './inbound/parsing/parse-mail';
import { BLOB_STORAGE, type BlobStorage, LocalDiskStorage } from './storage/blob-storage';
import { TenantDirectory } from './tenants/tenant-directory';
import { RedisThreadIndex } from './threading/thread-index';
import { ThreadSigner } from './threading/thread-signer';
import { RawMimeController } from './transport/raw-mime.controller';
import { RAW_MIME_SETTINGS } from './transport/raw-mime.settings';
import { SmtpInboundServer } from './transport/smtp-inbound.server';

const EMAIL_CONFIG = Symbol('EMAIL_CONFIG');
const INBOUND_PRODUCER = Symbol('INBOUND_PRODUCER');

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

/** Inbound mail: SMTP and raw-MIME HTTP → parse, thread, archive → Kafka. */
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
          provide: IngestMailUseCase,
          inject: [INBOUND_PRODUCER, BLOB_STORAGE, REDIS_CLIENT, ThreadSigner, MAIL_AUTHENTICATOR],
          useFactory: (
            producer: MessageProducer,
            storage: BlobStorage,
            redis: RedisClient,
            signer: ThreadSigner,
            authenticator: MailAuthenticator,
          ) =>
            new IngestMailUseCase({
              producer,
              storage,
              threadIndex: new RedisThreadIndex(redis),
              signer,
              authenticator,
              limits: {
                ...DEFAULT_PARSE_LIMITS,
                maxAttachmentBytes: config.EMAIL_MAX_ATTACHMENT_BYTES,
                maxBodyChars: 256 * 1024,
              },
            }),
        },
        SmtpServerLifecycle,
      ],
    };
  }
}
