import {
  type EnvSource,
  loadConfig,
  portVariable,
  positiveIntegerVariable,
  stringVariable,
  z,
} from '@switchboard/config';
import { baseServiceEnv, mongoServiceEnv } from '@switchboard/service-kit';
import { BUILT_IN_SLA_CONFIGURATION, loadSlaConfigFile, type SlaConfiguration } from './sla-config';

export const conversationEnvSchema = z.object({
  ...baseServiceEnv(3005),
  ...mongoServiceEnv('switchboard_conversation'),
  GRPC_PORT: portVariable(50051),
  GRPC_HOST: stringVariable('0.0.0.0'),
  /** HS256 secret shared with whoever issues agent tokens; at least 32 bytes. */
  AUTH_JWT_SECRET: z
    .string({ error: 'is required but not set' })
    .min(32, { error: 'must be at least 32 characters (256 bits for HS256)' }),
  /**
   * Prefixed to this service's topic names and consumer group, to run an isolated instance (a
   * benchmark, a staging copy) on a shared Kafka. Empty in production.
   */
  KAFKA_TOPIC_PREFIX: stringVariable(''),
  /** How often snoozed conversations are checked for their wake-up time. */
  SNOOZE_POLL_INTERVAL_MS: positiveIntegerVariable(5_000),
  /** How often WatchEvents polls the event log for changes made by other replicas. */
  WATCH_POLL_INTERVAL_MS: positiveIntegerVariable(250),
  /** YAML (or JSON) file of SLA targets per tenant, queue and priority; built-in defaults when unset. */
  SLA_CONFIG_FILE: stringVariable().optional(),
});

export type ConversationEnv = z.infer<typeof conversationEnvSchema>;
export type ConversationConfig = ConversationEnv & { sla?: SlaConfiguration };

/** The environment, then the SLA file it names, both validated at start-up. */
export function loadConversationConfig(source: EnvSource = process.env): ConversationConfig {
  const env = loadConfig(conversationEnvSchema, source);
  return {
    ...env,
    sla: env.SLA_CONFIG_FILE ? loadSlaConfigFile(env.SLA_CONFIG_FILE) : BUILT_IN_SLA_CONFIGURATION,
  };
}
