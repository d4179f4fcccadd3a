import {
  ConfigValidationError,
  positiveIntegerVariable,
  portVariable,
  stringVariable,
  z,
} from '@switchboard/config';
import { baseServiceEnv, redisServiceEnv } from '@switchboard/service-kit';

/** Only for `npm start` on a laptop; production sets its own (the service logs a warning). */
export const DEVELOPMENT_THREAD_SECRET = 'switchboard-local-development-only-thread-secret';

export const emailGatewayEnvSchema = z.object({
  ...baseServiceEnv(3001),
  ...redisServiceEnv(),
  SMTP_PORT: portVariable(2525),
  SMTP_HOST: stringVariable('0.0.0.0'),
  /** Advertised with SIZE and enforced while receiving (552 beyond it). Default 25 MiB. */
  SMTP_MAX_MESSAGE_BYTES: positiveIntegerVariable(25 * 1024 * 1024),
  /** PEM files; when both are set the SMTP server offers STARTTLS. */
  SMTP_TLS_KEY_FILE: z.string().optional(),
  SMTP_TLS_CERT_FILE: z.string().optional(),
  /** YAML/JSON file with `tenants: [{ id, addresses, domains, fromAddress, fromName }]`. */
  EMAIL_TENANTS_FILE: z.string().optional(),
  /** The same as inline JSON; used when no file is given. Default: one local demo tenant. */
  EMAIL_TENANTS_JSON: z.string().optional(),
  /** HMAC key of thread tokens and our Message-IDs. */
  EMAIL_THREAD_SECRET: z
    .string()
    .min(24, { error: 'must be at least 24 characters' })
    .default(DEVELOPMENT_THREAD_SECRET),
  /** Shared secret of POST /inbound/raw-mime; the endpoint answers 403 while it is unset. */
  RAW_MIME_INGEST_SECRET: z
    .string()
    .min(16, { error: 'must be at least 16 characters' })
    .optional(),
  /** Local-disk root of the raw-mail archive and attachment content. */
  EMAIL_STORAGE_DIR: stringVariable('.stack/email-gateway'),
  EMAIL_MAX_ATTACHMENT_BYTES: positiveIntegerVariable(10 * 1024 * 1024),
  /** `system`: DNS with a 1.5 s timeout for SPF/DKIM/DMARC; `off`: answer nothing (offline). */
  MAILAUTH_DNS: z.enum(['system', 'off'], { error: 'must be system or off' }).default('system'),
  /**
   * Outbound relay as one URL (`smtp://user:pass@host:587`, `smtps://…:465`), or the SMTP_RELAY_*
   * parts below. Without either, agent replies stay on Kafka until a relay is configured.
   */
  SMTP_RELAY_URL: z
    .string()
    .regex(/^smtps?:\/\/\S+$/, { error: 'must be an smtp:// or smtps:// URL' })
    .optional(),
  SMTP_RELAY_HOST: z.string().optional(),
  SMTP_RELAY_PORT: portVariable(587),
  /** true: TLS from the first byte (port 465); false: STARTTLS when the relay offers it. */
  SMTP_RELAY_SECURE: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default('false')
    .transform((value) => value === 'true'),
  SMTP_RELAY_USER: z.string().optional(),
  SMTP_RELAY_PASSWORD: z.string().optional(),
  /** Connection, greeting and socket timeout towards the relay. */
  SMTP_RELAY_TIMEOUT_MS: positiveIntegerVariable(15_000),
  /** Attempts per outbound mail while the relay answers 4xx or cannot be reached. */
  OUTBOUND_EMAIL_MAX_ATTEMPTS: positiveIntegerVariable(6),
  /** First retry delay; doubles per attempt up to the cap. */
  OUTBOUND_EMAIL_RETRY_BASE_MS: positiveIntegerVariable(1_000),
  OUTBOUND_EMAIL_RETRY_MAX_DELAY_MS: positiveIntegerVariable(60_000),
  /** IMAP accounts (per tenant, in the tenants file): first reconnect delay, doubling to the cap. */
  IMAP_RETRY_BASE_MS: positiveIntegerVariable(1_000),
  IMAP_RETRY_MAX_DELAY_MS: positiveIntegerVariable(60_000),
  /** Connect and greeting budget of one IMAP connection attempt. */
  IMAP_CONNECTION_TIMEOUT_MS: positiveIntegerVariable(15_000),
  /**
   * Prefixed to this service's topic names and consumer group, to run an isolated instance (a
   * test, a staging copy) on a shared Kafka. Empty in production.
   */
  KAFKA_TOPIC_PREFIX: stringVariable(''),
});

export type EmailGatewayConfig = z.infer<typeof emailGatewayEnvSchema>;

/** Where outbound mail goes: a URL, or host/port/secure/auth parts. */
export type SmtpRelaySettings =
  | { url: string; timeoutMs: number }
  | {
      host: string;
      port: number;
      secure: boolean;
      auth?: { user: string; pass: string };
      timeoutMs: number;
    };

/**
 * The relay settings, checked across variables (the schema checks each alone): undefined when no
 * relay is configured; a ConfigValidationError naming the variable for a contradictory set.
 */
export function smtpRelaySettings(config: EmailGatewayConfig): SmtpRelaySettings | undefined {
  const timeoutMs = config.SMTP_RELAY_TIMEOUT_MS;
  if (config.SMTP_RELAY_URL !== undefined) {
    if (config.SMTP_RELAY_HOST !== undefined)
      throw new ConfigValidationError('SMTP_RELAY_HOST', 'cannot be combined with SMTP_RELAY_URL');
    return { url: config.SMTP_RELAY_URL, timeoutMs };
  }
  if (config.SMTP_RELAY_HOST === undefined) {
    if (config.SMTP_RELAY_USER !== undefined)
      throw new ConfigValidationError('SMTP_RELAY_USER', 'is set but SMTP_RELAY_HOST is not');
    return undefined;
  }
  if ((config.SMTP_RELAY_USER === undefined) !== (config.SMTP_RELAY_PASSWORD === undefined)) {
    const missing =
      config.SMTP_RELAY_USER === undefined ? 'SMTP_RELAY_USER' : 'SMTP_RELAY_PASSWORD';
    throw new ConfigValidationError(missing, 'is required when the other relay credential is set');
  }
  return {
    host: config.SMTP_RELAY_HOST,
    port: config.SMTP_RELAY_PORT,
    secure: config.SMTP_RELAY_SECURE,
    ...(config.SMTP_RELAY_USER !== undefined && config.SMTP_RELAY_PASSWORD !== undefined
      ? { auth: { user: config.SMTP_RELAY_USER, pass: config.SMTP_RELAY_PASSWORD } }
      : {}),
    timeoutMs,
  };
}
