import { join } from 'node:path';
import {
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
  /** An idle visitor session (and its undelivered replies) is forgotten after this long. */
  CHAT_SESSION_TTL_SECONDS: positiveIntegerVariable(7 * 24 * 3600),
});

export type ChatGatewayEnv = z.infer<typeof chatGatewayEnvSchema>;
export type ChatGatewayConfig = ChatGatewayEnv & { tenants: ChatTenantsFile };

/** The environment, then the tenants file it names, both validated at start-up. */
export function loadChatGatewayConfig(source: EnvSource = process.env): ChatGatewayConfig {
  const env = loadConfig(chatGatewayEnvSchema, source);
  return { ...env, tenants: loadChatTenants(env.CHAT_TENANTS_FILE) };
}
