import { join } from 'node:path';
import {
  type EnvSource,
  loadConfig,
  positiveIntegerVariable,
  stringVariable,
  z,
} from '@switchboard/config';
import { baseServiceEnv, redisServiceEnv } from '@switchboard/service-kit';
import { loadSocialAccounts, type SocialAccountsFile } from './social-accounts.config';

/** The demo accounts `npm start` boots with; production points SOCIAL_ACCOUNTS_FILE elsewhere. */
export const LOCAL_ACCOUNTS_FILE = join(
  __dirname,
  '..',
  '..',
  'config',
  'social-accounts.local.yaml',
);

const httpBaseUrl = (defaultUrl: string) =>
  z
    .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
    .default(defaultUrl)
    .transform((url) => url.replace(/\/+$/, ''));

export const socialGatewayEnvSchema = z.object({
  ...baseServiceEnv(3003),
  ...redisServiceEnv(),
  /** YAML or JSON: which pages, phone numbers, bots and X users belong to which tenant. */
  SOCIAL_ACCOUNTS_FILE: stringVariable(LOCAL_ACCOUNTS_FILE),
  META_GRAPH_BASE_URL: httpBaseUrl('https://graph.facebook.com/v21.0'),
  TELEGRAM_API_BASE_URL: httpBaseUrl('https://api.telegram.org'),
  X_API_BASE_URL: httpBaseUrl('https://api.x.com'),
  /** How long a webhook may wait for Kafka before it is refused with 503 (the platform retries). */
  KAFKA_SEND_TIMEOUT_MS: positiveIntegerVariable(5_000),
  /** Platforms redeliver for days; a delivery id is remembered this long. */
  INBOUND_DEDUPE_TTL_SECONDS: positiveIntegerVariable(7 * 24 * 3600),
  /**
   * Prefixed to this service's topic names and consumer group, to run an isolated instance (a
   * test, a staging copy) on a shared Kafka. Empty in production.
   */
  KAFKA_TOPIC_PREFIX: stringVariable(''),
  /** Attempts per outbound send on 429 and 5xx, the first included. */
  OUTBOUND_MAX_ATTEMPTS: positiveIntegerVariable(4),
  /** First retry delay of an outbound send; doubles with each retry (Retry-After wins). */
  OUTBOUND_RETRY_BASE_MS: positiveIntegerVariable(500),
  /** Longest single wait between outbound attempts, whatever Retry-After says. */
  OUTBOUND_RETRY_MAX_DELAY_MS: positiveIntegerVariable(30_000),
});

export type SocialGatewayConfig = z.infer<typeof socialGatewayEnvSchema> & {
  accounts: SocialAccountsFile;
};

/**
 * The environment, then the accounts file it names, both validated at start-up: a problem in
 * either stops the service with one line naming the variable.
 */
export function loadSocialGatewayConfig(source: EnvSource = process.env): SocialGatewayConfig {
  const env = loadConfig(socialGatewayEnvSchema, source);
  return { ...env, accounts: loadSocialAccounts(env.SOCIAL_ACCOUNTS_FILE) };
}
