import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';

// Each probe makes one short attempt and cleans up after itself (no open
// handles left for Jest); retrying is waitUntilReady's job.

const PROBE_TIMEOUT_MS = 2000;

/** Kafka answers metadata requests and has an active controller. */
export async function probeKafka(brokers: string): Promise<void> {
  const kafka = new Kafka({
    clientId: 'switchboard-stack-probe',
    brokers: brokers.split(',').map((broker) => broker.trim()),
    logLevel: logLevel.NOTHING,
    connectionTimeout: PROBE_TIMEOUT_MS,
    requestTimeout: PROBE_TIMEOUT_MS,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length === 0) throw new Error('no broker registered yet');
    if (cluster.controller === null || cluster.controller < 0) {
      throw new Error('no active controller yet');
    }
  } finally {
    await admin.disconnect();
  }
}

/** A MongoDB-wire server (FerretDB or MongoDB) answers `ping`. */
export async function probeMongo(uri: string): Promise<void> {
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: PROBE_TIMEOUT_MS,
    connectTimeoutMS: PROBE_TIMEOUT_MS,
    socketTimeoutMS: PROBE_TIMEOUT_MS,
  });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
  } finally {
    await client.close();
  }
}

/** Redis answers PING. */
export async function probeRedis(url: string): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: PROBE_TIMEOUT_MS,
    commandTimeout: PROBE_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // ioredis reports the cause (ECONNREFUSED, …) only as an 'error' event and
  // rejects connect() with a bare "Connection is closed."; keep the cause.
  let connectionError: Error | null = null;
  client.on('error', (error: Error) => {
    connectionError = error;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw connectionError ?? error;
  } finally {
    client.disconnect();
  }
}

/**
 * Makes Kafka create __consumer_offsets now (it does so lazily, on the first
 * FindCoordinator), so that the first consumer group of a test run does not
 * wait for it with "group coordinator not available" retries.
 */
export async function warmUpKafka(brokers: string): Promise<void> {
  const kafka = new Kafka({
    clientId: 'switchboard-stack-warmup',
    brokers: brokers.split(',').map((broker) => broker.trim()),
    logLevel: logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 200 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.describeGroups(['switchboard-stack-warmup']);
  } finally {
    await admin.disconnect();
  }
}
