import { readFileSync } from 'node:fs';
import {
  ConfigValidationError,
  loadConfig,
  portVariable,
  positiveIntegerVariable,
  stringVariable,
  z,
} from '@switchboard/config';
import { baseServiceEnv, mongoServiceEnv, redisServiceEnv } from '@switchboard/service-kit';
import { parse } from 'yaml';
import { parseRoutingConfig, type RoutingConfigFile } from '../configuration/routing-config.schema';

export const routerEnvSchema = z.object({
  ...baseServiceEnv(3004),
  ...mongoServiceEnv('switchboard_router'),
  ...redisServiceEnv(),
  GRPC_PORT: portVariable(50052),
  GRPC_HOST: stringVariable('0.0.0.0'),
  /** HS256 secret shared with whoever issues agent tokens; at least 32 bytes. */
  AUTH_JWT_SECRET: z
    .string({ error: 'is required but not set' })
    .min(32, { error: 'must be at least 32 characters (256 bits for HS256)' }),
  /** A YAML file of tenants, skills, queues and agents, applied at start-up (optional). */
  ROUTER_CONFIG_FILE: stringVariable().optional(),
  ROUTER_TICK_MS: positiveIntegerVariable(1_000),
  AGENT_HEARTBEAT_TTL_MS: positiveIntegerVariable(30_000),
  /** Routing decisions older than this are deleted from the decision log (ExplainDecision). */
  ROUTER_DECISION_LOG_RETENTION_DAYS: positiveIntegerVariable(90),
  /**
   * Prefixed to this service's topic names and consumer group, to run an isolated instance (a
   * test, a staging copy) on a shared Kafka. Empty in production.
   */
  KAFKA_TOPIC_PREFIX: stringVariable(''),
  REQUEUE_ASSIGNED_ON_OFFLINE: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default('false')
    .transform((value) => value === 'true'),
});

export type RouterEnv = z.infer<typeof routerEnvSchema>;
export type RouterConfig = RouterEnv & { routingBootstrap?: RoutingConfigFile };

/** The environment, plus the bootstrap file it names, both validated before anything starts. */
export function loadRouterConfig(
  source: Record<string, string | undefined> = process.env,
): RouterConfig {
  const env = loadConfig(routerEnvSchema, source);
  if (!env.ROUTER_CONFIG_FILE) return env;
  let document: unknown;
  try {
    document = parse(readFileSync(env.ROUTER_CONFIG_FILE, 'utf8'));
  } catch (error) {
    throw new ConfigValidationError(
      'ROUTER_CONFIG_FILE',
      `cannot be read as YAML (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  try {
    return { ...env, routingBootstrap: parseRoutingConfig(document) };
  } catch (error) {
    throw new ConfigValidationError(
      'ROUTER_CONFIG_FILE',
      `is not a valid routing configuration: ${String(error instanceof Error ? error.message : error)}`,
    );
  }
}
