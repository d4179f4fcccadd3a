/**
 * npm run bench -- conversation [--messages 1000] [--threads 100] [--subscribers 1000] [--changes 20]
 *
 * 1. Ingest: inbound messages pre-produced to Kafka, then consumed and stored (conversation,
 *    contact, message, events, outbox flush) by the real use case on the MongoDB wire protocol.
 * 2. WatchEvents: the service in-process with its gRPC server; N concurrent streams (tenant scope)
 *    over real grpc-js clients; latency from an event's commit to its arrival at each subscriber.
 * Prints a table, then one JSON line with the figures. Measures only; asserts nothing.
 */
import { randomBytes } from 'node:crypto';
import {
  credentials,
  makeGenericClientConstructor,
  Metadata,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { type conversationV1, grpcLoaderOptions, protoFiles } from '@switchboard/contracts';
import { deadLetterTopicOf, encodeEnvelope, type InboundMessage } from '@switchboard/events';
import { createKafkaClient } from '@switchboard/kafka';
import { openMongoConnection } from '@switchboard/mongo';
import { stackUp } from '@switchboard/stack';
import { spawnService, waitForHttpStatus } from '@switchboard/testing';
import { SignJWT } from 'jose';
import pino from 'pino';
import { createConversationCore } from '../services/conversation/src/conversations/conversation-core';
import { InboundMessageConsumer } from '../services/conversation/src/ingestion/inbound-message.consumer';
import { ensureConversationIndexes } from '../services/conversation/src/persistence/conversation.schemas';
import { asTenantId } from '../services/conversation/src/shared/tenant-id';
import { createServer } from 'node:net';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const messages = option('messages', 1000);
  const threads = option('threads', 100);
  const subscriberCount = option('subscribers', 1000);
  const changes = option('changes', 20);
  const stack = await stackUp({ log: () => undefined });
  const unique = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const tenantId = `bench-${unique}`;
  const database = `bench_conversation_${unique.replace(/-/g, '_')}`;
  const topics = {
    inboundMessages: `bench.${unique}.inbound`,
    conversationEvents: `bench.${unique}.conversation-events`,
    outboundMessages: `bench.${unique}.outbound`,
  };
  const topicNames = [
    topics.inboundMessages,
    topics.conversationEvents,
    topics.outboundMessages,
  ].flatMap((n) => [n, deadLetterTopicOf(n)]);
  const kafka = createKafkaClient({
    brokers: stack.kafkaBrokers.split(','),
    clientId: 'bench-conversation',
  });
  await kafka.admin().ensureTopics(topicNames.map((name) => ({ name, partitions: 6 })));
  const connection = openMongoConnection({ uri: stack.mongodbUri, database });
  await connection.asPromise();

  // 1. Ingest throughput.
  log(`producing ${messages} inbound messages over ${threads} threads…`);
  const producer = kafka.createProducer();
  const batch: { key: string; value: string }[] = [];
  for (let index = 0; index < messages; index += 1) {
    const thread = `thread-${index % threads}`;
    const message: InboundMessage = {
      schemaVersion: 1,
      tenantId,
      messageId: `gw-${index}`,
      channel: 'email',
      externalMessageId: `<m${index}@bench.example>`,
      threadKey: thread,
      sender: { kind: 'email', value: `customer${index % threads}@bench.example`, verified: true },
      subject: 'Benchmark',
      text: `message ${index}`,
      attachments: [],
      authenticity: {},
      flags: { autoReply: false, bounce: false, bulk: false, ownMessageEcho: false },
      inReplyTo: [],
      receivedAt: new Date().toISOString(),
      metadata: {},
    };
    batch.push({ key: `${tenantId}|email|${thread}`, value: encodeEnvelope(message) });
  }
  for (let start = 0; start < batch.length; start += 500) {
    await producer.send(topics.inboundMessages, batch.slice(start, start + 500));
  }
  const core = createConversationCore({
    connection,
    kafka,
    topics,
    clock: { now: () => new Date() },
  });
  await ensureConversationIndexes(core.models);
  const consumer = new InboundMessageConsumer(
    kafka,
    core.ingestInboundMessage,
    {
      topic: topics.inboundMessages,
      groupId: `bench-${unique}`,
      partitionsConsumedConcurrently: 6,
    },
    pino({ level: 'silent' }),
  );
  const ingestStart = Date.now();
  await consumer.start();
  let stored = 0;
  while (stored < messages) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    stored = await core.models.messages
      .countDocuments({ tenantId, conversationSeq: { $gt: 0 } })
      .exec();
    if (Date.now() - ingestStart > 600_000)
      throw new Error(`only ${stored} of ${messages} stored after 10 min`);
  }
  const ingestSeconds = (Date.now() - ingestStart) / 1000;
  await consumer.stop();
  await core.producer.disconnect();
  const ingestPerSecond = messages / ingestSeconds;
  log(`ingested ${messages} in ${ingestSeconds.toFixed(1)} s`);

  // 2. WatchEvents latency to N concurrent subscribers.
  // The built service as its own process, on this run's topics (prefix) and database.
  const secret = randomBytes(32).toString('hex');
  const grpcPort = await freePort();
  const service = spawnService('conversation', {
    httpPort: await freePort(),
    env: {
      KAFKA_BROKERS: stack.kafkaBrokers,
      MONGODB_URI: stack.mongodbUri,
      MONGODB_DATABASE: database,
      KAFKA_TOPIC_PREFIX: `bench.${unique}.`,
      LOG_LEVEL: 'warn',
      AUTH_JWT_SECRET: secret,
      GRPC_PORT: String(grpcPort),
      WATCH_POLL_INTERVAL_MS: '250',
    },
  });
  await waitForHttpStatus(`${service.httpUrl}/health/ready`, 200, {
    timeoutMs: 60_000,
    process: service,
  });
  const token = await new SignJWT({ tenant: tenantId, roles: ['supervisor'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('bench-supervisor')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret));
  const definition = (
    loadSync(protoFiles.conversationV1, grpcLoaderOptions) as unknown as Record<
      string,
      ServiceDefinition
    >
  )['switchboard.conversation.v1.ConversationService'] as ServiceDefinition;
  const Client = makeGenericClientConstructor(definition, 'ConversationService');
  type StreamClient = {
    watchEvents(request: object, metadata: Metadata): NodeJS.EventEmitter & { cancel(): void };
    setTags(request: object, metadata: Metadata, callback: (error: Error | null) => void): void;
    close(): void;
  };
  // Several HTTP/2 connections, as several UIs would open.
  const clients = Array.from(
    { length: 10 },
    () =>
      new Client(`127.0.0.1:${grpcPort}`, credentials.createInsecure()) as unknown as StreamClient,
  );
  const writer = clients[0] as StreamClient;
  const setTags = writer.setTags.bind(writer);
  const latencies: number[] = [];
  let delivered = 0;
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  const streams = Array.from({ length: subscriberCount }, (_, index) => {
    const stream = clients[index % clients.length]!.watchEvents({ tenant: {} }, metadata);
    stream.on('data', (response: conversationV1.WatchEventsResponse) => {
      const occurredAt = response.event?.occurredAt;
      if (occurredAt) latencies.push(Date.now() - new Date(occurredAt).getTime());
      delivered += 1;
    });
    stream.on('error', () => undefined);
    return stream;
  });
  // Streams are up once the service reports them (its subscriber gauge).
  const subscribed = async (): Promise<number> => {
    const text = await (await fetch(`${service.httpUrl}/metrics`)).text();
    return Number(/^conversation_watch_subscribers(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? 0);
  };
  const connectDeadline = Date.now() + 120_000;
  while ((await subscribed()) < subscriberCount) {
    if (Date.now() > connectDeadline)
      throw new Error(`only ${await subscribed()} streams connected`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const conversations = await core.repositories.conversations.list(
    asTenantId(tenantId),
    {},
    undefined,
    changes,
  );
  log(`${subscriberCount} subscribers connected; making ${changes} changes…`);
  for (let index = 0; index < changes; index += 1) {
    const target = conversations[index % conversations.length];
    if (!target) break;
    // Through the API, as an agent UI would: the event is logged and fanned out by the service.
    await new Promise<void>((resolve, reject) =>
      setTags(
        { conversationId: target.id, tags: [`bench-${index}`] },
        metadata,
        (error: Error | null) => (error ? reject(error) : resolve()),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const expected = subscriberCount * changes;
  const waitStart = Date.now();
  while (delivered < expected && Date.now() - waitStart < 30_000)
    await new Promise((resolve) => setTimeout(resolve, 100));
  latencies.sort((a, b) => a - b);
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);

  for (const stream of streams) stream.cancel();
  for (const client of clients) client.close();
  await service.stop('SIGTERM');
  await producer.disconnect();
  await kafka
    .admin()
    .deleteTopics(topicNames)
    .catch(() => undefined);
  await kafka.close();
  await connection.dropDatabase();
  await connection.close();

  const rows: [string, string][] = [
    ['messages ingested (Kafka → MongoDB wire)', String(messages)],
    ['threads (conversations)', String(threads)],
    ['ingest throughput', `${ingestPerSecond.toFixed(0)} msg/s`],
    ['WatchEvents subscribers', String(subscriberCount)],
    ['events × subscribers delivered', `${delivered} / ${expected}`],
    ['delivery latency p50', `${p50} ms`],
    ['delivery latency p99', `${p99} ms`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  process.stdout.write(
    `\nconversation benchmark (${stack.mongodbUri.includes('27117') ? 'FerretDB 1.24 on SQLite' : 'MongoDB'})\n`,
  );
  for (const [label, value] of rows) process.stdout.write(`  ${label.padEnd(width)}  ${value}\n`);
  process.stdout.write(
    `${JSON.stringify({
      bench: 'conversation',
      messages,
      threads,
      ingest_per_s: Math.round(ingestPerSecond),
      subscribers: subscriberCount,
      delivered,
      expected_deliveries: expected,
      watch_latency_p50_ms: p50,
      watch_latency_p99_ms: p99,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench conversation failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
