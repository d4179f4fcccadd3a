import { join } from 'node:path';
import {
  ConfigValidationError,
  type EnvSource,
  loadConfig,
  positiveIntegerVariable,
  stringVariable,
  z,
} from '@switchboard/config';
import { baseServiceEnv, redisServiceEnv } from '@switchboard/service-kit';
import { invalidTrustedProxyEntries } from '../sessions/trusted-proxies';
import { type ChatTenantsFile, loadChatTenants } from './chat-tenants.config';

/** The demo tenant `npm start` boots with; production points CHAT_TENANTS_FILE elsewhere. */
export const LOCAL_TENANTS_FILE = join(__dirname, '..', '..', 'config', 'chat-tenants.local.yaml');

export const chatGatewayEnvSchema = z.object({
  ...baseServiceEnv(3002),
  ...redisServiceEnv(),
  /** Prepended to every topic name and the consumer group (benchmarks and demos run isolated). */
  KAFKA_TOPIC_PREFIX: stringVariable(''),
  /** YAML or JSON: tenants, their allowed origins, identity secrets, pre-chat topics. */
  CHAT_TENANTS_FILE: stringVariable(LOCAL_TENANTS_FILE),
  /** How long a visitor's ack waits for Kafka before it answers "retry later". */
  KAFKA_SEND_TIMEOUT_MS: positiveIntegerVariable(5_000),
  /** Largest visitor message text, in UTF-8 bytes. */
  CHAT_MAX_MESSAGE_BYTES: positiveIntegerVariable(4_096),
  /** Visitor messages per session per minute (counted in Redis, so across replicas). */
  CHAT_SESSION_MESSAGES_PER_MINUTE: positiveIntegerVariable(30),
  /** Socket connections plus messages per client IP per minute (across replicas). */
  CHAT_IP_EVENTS_PER_MINUTE: positiveIntegerVariable(300),
  /**
   * Comma-separated IPs / CIDR ranges of reverse proxies whose X-Forwarded-For gives the client
   * address for the per-IP limit. Default none: the direct peer's address counts.
   */
  CHAT_TRUSTED_PROXIES: stringVariable('').refine(
    (value) => invalidTrustedProxyEntries(value).length === 0,
    { error: 'must be a comma-separated list of IP addresses or CIDR ranges' },
  ),
  /**
   * An agent reply still unacknowledged this long after it arrived goes to the visitor by email,
   * when the visitor left an address in the pre-chat form. Unset: no email fallback.
   */
  CHAT_EMAIL_FALLBACK_AFTER_MS: z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .positive({ error: 'must be greater than zero' })
    .optional(),
  /** How often each replica looks for replies whose email fallback is due. */
  CHAT_EMAIL_FALLBACK_SCAN_INTERVAL_MS: positiveIntegerVariable(1_000),
  /**
   * `host:port` of the conversation service's gRPC API (plaintext): the visitor's history is
   * read from it on every (re)connection. Unset: only the gateway's own mailbox is replayed.
   */
  CONVERSATION_GRPC_URL: z
    .string()
    .regex(/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/, { error: 'must be host:port' })
    .optional(),
  /** HS256 secret the conversation service and router verify tokens with; needed with a URL. */
  AUTH_JWT_SECRET: z
    .string()
    .min(32, { error: 'must be at least 32 characters (256 bits for HS256)' })
    .optional(),
  /** Deadline of one history call; the visitor's connection does not wait longer. */
  CONVERSATION_GRPC_TIMEOUT_MS: positiveIntegerVariable(2_000),
  /**
   * `host:port` of the router's gRPC API (plaintext): waiting visitors are shown their place in
   * the queue and the expected wait, and switch to offline mode when no agent is online. Unset:
   * no estimates.
   */
  ROUTER_GRPC_URL: z
    .string()
    .regex(/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/, { error: 'must be host:port' })
    .optional(),
  /** Deadline of one wait-estimate call. */
  ROUTER_GRPC_TIMEOUT_MS: positiveIntegerVariable(2_000),
  /** How often a waiting visitor's estimate is refreshed. */
  CHAT_QUEUE_POLL_INTERVAL_MS: positiveIntegerVariable(10_000),
  /** Estimates per visitor socket at most (360 × 10 s: the first hour of a wait). */
  CHAT_QUEUE_MAX_POLLS: positiveIntegerVariable(360),
  /** An idle visitor session (and its undelivered replies) is forgotten after this long. */
  CHAT_SESSION_TTL_SECONDS: positiveIntegerVariable(7 * 24 * 3600),
});

export type ChatGatewayEnv = z.infer<typeof chatGatewayEnvSchema>;
export type ChatGatewayConfig = ChatGatewayEnv & { tenants: ChatTenantsFile };

/** The environment, then the tenants file it names, both validated at start-up. */
export function loadChatGatewayConfig(source: EnvSource = process.env): ChatGatewayConfig {
  const env = loadConfig(chatGatewayEnvSchema, source);
  for (const url of ['CONVERSATION_GRPC_URL', 'ROUTER_GRPC_URL'] as const) {
    if (env[url] !== undefined && env.AUTH_JWT_SECRET === undefined) {
      throw new ConfigValidationError('AUTH_JWT_SECRET', `is required when ${url} is set`);
    }
  }
  return { ...env, tenants: loadChatTenants(env.CHAT_TENANTS_FILE) };
}
