import { positiveIntegerVariable, portVariable, stringVariable, z } from '@switchboard/config';
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
});

export type EmailGatewayConfig = z.infer<typeof emailGatewayEnvSchema>;
