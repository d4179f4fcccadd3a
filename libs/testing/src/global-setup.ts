import { stackUp } from '@switchboard/stack';

/**
 * Jest globalSetup for the integration and e2e projects: starts (or reuses) the local stack and
 * hands its addresses to the test workers through the environment. The stack is left running for
 * the next run; `npm run stack -- down` stops it.
 */
export default async function globalSetup(): Promise<void> {
  const endpoints = await stackUp({ log: (line) => process.stderr.write(`[stack] ${line}\n`) });
  process.env.KAFKA_BROKERS = endpoints.kafkaBrokers;
  process.env.MONGODB_URI = endpoints.mongodbUri;
  process.env.REDIS_URL = endpoints.redisUrl;
}
