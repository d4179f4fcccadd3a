import { portVariable, positiveIntegerVariable, stringVariable, z } from '@switchboard/config';
import { baseServiceEnv, mongoServiceEnv } from '@switchboard/service-kit';

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
});

export type ConversationConfig = z.infer<typeof conversationEnvSchema>;
