import { randomBytes } from 'node:crypto';

export interface StackAddresses {
  kafkaBrokers: string;
  mongodbUri: string;
  redisUrl: string;
}

/**
 * Everything a test suite needs to use the shared real stack without seeing any other suite's
 * data: its own tenant id, MongoDB database, Kafka topic prefix and Redis key prefix.
 */
export interface TestContext {
  readonly suite: string;
  readonly tenantId: string;
  readonly database: string;
  readonly topicPrefix: string;
  readonly redisKeyPrefix: string;
  readonly stack: StackAddresses;
  /** `topicPrefix` + name: a topic that belongs to this suite only. */
  topic(name: string): string;
  /** A MongoDB URI pointing at this suite's own database. */
  mongodbUri(): string;
}

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run tests through Jest's integration/e2e projects (their globalSetup starts the stack) or set it yourself`,
    );
  }
  return value;
}

export function stackAddressesFromEnv(): StackAddresses {
  return {
    kafkaBrokers: requireEnv('KAFKA_BROKERS'),
    mongodbUri: requireEnv('MONGODB_URI'),
    redisUrl: requireEnv('REDIS_URL'),
  };
}

export function withDatabase(mongodbUri: string, database: string): string {
  const url = new URL(mongodbUri);
  url.pathname = `/${database}`;
  return url.toString();
}

export function createTestContext(suite: string): TestContext {
  const slug = suite
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 24);
  const unique = `${slug}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const database = `t_${unique.replace(/-/g, '_')}`;
  const topicPrefix = `t.${unique}.`;
  const stack = stackAddressesFromEnv();
  return {
    suite,
    tenantId: `tenant-${unique}`,
    database,
    topicPrefix,
    redisKeyPrefix: `t:${unique}:`,
    stack,
    topic: (name) => `${topicPrefix}${name}`,
    mongodbUri: () => withDatabase(stack.mongodbUri, database),
  };
}
