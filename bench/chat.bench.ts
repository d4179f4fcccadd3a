/**
 * npm run bench -- chat [--levels 1000,10000] [--samples 1000] [--concurrency 20]
 *
 * One chat gateway, the built service as its own process (own topics, consumer group and Redis
 * prefix), holding 1,000 and then 10,000 concurrent visitor sockets opened from this process
 * over loopback, in bounded batches. At each level: the gateway's resident memory (VmRSS from
 * /proc/<pid>/status), and the round trips
 * - send → ack: a visitor's `message:send` until its ack, which the gateway gives only after Kafka
 *   acknowledged the InboundMessage;
 * - reply: an agent reply produced to the outbound topic until it arrives at the visitor's socket
 *   (Kafka, the gateway's consumer, the Redis mailbox and the socket.io room broadcast).
 * Samples go to random connected visitors with a few in flight at once. Prints a table, then one
 * JSON line. Measures only; asserts nothing; stops by itself and closes everything it opened.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { encodeEnvelope, type OutboundMessage, Topics, topicSpecsFor } from '@switchboard/events';
import { createKafkaClient } from '@switchboard/kafka';
import { closeRedisConnection, openRedisConnection, waitForRedisReady } from '@switchboard/redis';
import { stackUp } from '@switchboard/stack';
import { freePort, spawnService, waitForHttpStatus } from '@switchboard/testing';
import { io, type Socket } from 'socket.io-client';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}
const LEVELS = option('levels', '1000,10000')
  .split(',')
  .map(Number)
  .filter((level) => Number.isInteger(level) && level > 0)
  .sort((a, b) => a - b);
const SAMPLES = Number(option('samples', '1000'));
const CONCURRENCY = Number(option('concurrency', '20'));
const CONNECT_BATCH = 250;
const WARM_UP = 200;
const OVERALL_DEADLINE_MS = 15 * 60_000;
const TENANT = 'bench';
const ORIGIN = 'http://bench.localhost';

const log = (line: string): void => void process.stderr.write(`${line}\n`);

interface Result {
  sockets: number;
  rss_mb: number;
  connect_s: number;
  send_ack_p50_ms: number;
  send_ack_p99_ms: number;
  reply_p50_ms: number;
  reply_p99_ms: number;
  sends_failed: number;
  replies_lost: number;
}

interface AgentMessage {
  id: string;
}

/** One visitor socket; resolves arrivals of replies the bench is waiting for. */
class Visitor {
  readonly threadKey: string;
  private readonly waiting = new Map<string, () => void>();

  constructor(
    readonly socket: Socket,
    visitorId: string,
  ) {
    this.threadKey = `visitor:${visitorId}`;
    socket.on('agent:message', (message: AgentMessage) => {
      this.waiting.get(message.id)?.();
      this.waiting.delete(message.id);
      // Acknowledged as the widget does, so the mailbox does not grow during the run.
      socket.emit('message:ack', { messageIds: [message.id] });
    });
  }

  arrival(messageId: string, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(messageId);
        resolve(false);
      }, timeoutMs);
      this.waiting.set(messageId, () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const value = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))];
  return Number((value ?? Number.NaN).toFixed(2));
}

function rssMegabytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kilobytes = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
  return Math.round(kilobytes / 1024);
}

function openFileLimit(): number {
  const soft = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
  return soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft);
}

function connectVisitor(url: string): Promise<Visitor> {
  const socket = io(url, {
    path: '/chat/socket',
    transports: ['websocket'],
    auth: { tenantId: TENANT },
    extraHeaders: { origin: ORIGIN },
    reconnection: false,
    forceNew: true,
    timeout: 30_000,
  });
  return new Promise((resolve, reject) => {
    socket.once('session', (session: { visitorId: string }) =>
      resolve(new Visitor(socket, session.visitorId)),
    );
    socket.once('connect_error', (error: Error) => {
      socket.disconnect();
      reject(error);
    });
  });
}

/** Runs `work` for `count` items with at most `concurrency` in flight. */
async function pool(
  count: number,
  concurrency: number,
  work: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const index = next;
      next += 1;
      await work(index);
    }
  });
  await Promise.all(lanes);
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const overdue = (): boolean => Date.now() - startedAt > OVERALL_DEADLINE_MS;
  const fileLimit = openFileLimit();
  const maxLevel = LEVELS.at(-1) ?? 0;
  log(`chat: open-file limit (ulimit -n) ${fileLimit}; ${maxLevel} sockets need about as many`);
  if (fileLimit < maxLevel + 500) {
    log(`chat: the limit is below ${maxLevel + 500}; raise it (ulimit -n) for the larger levels`);
  }

  const stack = await stackUp({ log: () => undefined });
  const unique = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const topicPrefix = `bench.chat.${unique}.`;
  const redisKeyPrefix = `bench:chat:${unique}:`;
  const topics = [Topics.inboundMessages, Topics.outboundMessages, Topics.deliveryStatus].map(
    (topic) => topicPrefix + topic,
  );
  const outboundTopic = topicPrefix + Topics.outboundMessages;
  const kafka = createKafkaClient({
    brokers: stack.kafkaBrokers.split(','),
    clientId: 'chat-bench',
  });
  await kafka.admin().ensureTopics(topicSpecsFor(topics, { partitions: 6, replicationFactor: 1 }));
  const producer = kafka.createProducer();

  const directory = mkdtempSync(join(tmpdir(), 'chat-bench-'));
  const tenantsFile = join(directory, 'tenants.yaml');
  writeFileSync(tenantsFile, `tenants:\n  - id: ${TENANT}\n    allowedOrigins: ['${ORIGIN}']\n`);
  const service = spawnService('chat-gateway', {
    httpPort: await freePort(),
    env: {
      KAFKA_BROKERS: stack.kafkaBrokers,
      REDIS_URL: stack.redisUrl,
      REDIS_KEY_PREFIX: redisKeyPrefix,
      KAFKA_TOPIC_PREFIX: topicPrefix,
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      CHAT_TENANTS_FILE: tenantsFile,
      // Every bench visitor comes from 127.0.0.1 and sends many messages.
      CHAT_IP_EVENTS_PER_MINUTE: '10000000',
      CHAT_SESSION_MESSAGES_PER_MINUTE: '10000',
      CHAT_SESSION_TTL_SECONDS: '3600',
    },
  });
  const visitors: Visitor[] = [];
  const results: Result[] = [];
  let replySequence = 0;
  const reply = (visitor: Visitor): OutboundMessage => {
    replySequence += 1;
    return {
      schemaVersion: 1,
      tenantId: TENANT,
      messageId: `bench-reply-${replySequence}`,
      conversationId: `conv-${visitor.threadKey}`,
      channel: 'chat',
      threadKey: visitor.threadKey,
      recipient: { kind: 'chat_visitor', value: visitor.threadKey, verified: false },
      authorAgentId: 'bench-agent',
      text: `reply ${replySequence}`,
      attachments: [],
      inReplyTo: [],
      createdAt: new Date().toISOString(),
    };
  };
  const sendReply = async (visitor: Visitor, timeoutMs: number): Promise<number | undefined> => {
    const message = reply(visitor);
    const arrived = visitor.arrival(message.messageId, timeoutMs);
    const sentAt = performance.now();
    await producer.send(outboundTopic, [
      { key: message.conversationId, value: encodeEnvelope(message) },
    ]);
    return (await arrived) ? performance.now() - sentAt : undefined;
  };

  try {
    await waitForHttpStatus(`${service.httpUrl}/health/ready`, 200, {
      timeoutMs: 60_000,
      process: service,
    });
    const pid = service.child.pid;
    if (pid === undefined) throw new Error('the gateway has no pid');
    const idleRss = rssMegabytes(pid);
    log(`chat: gateway pid ${pid} ready at ${service.httpUrl}, ${idleRss} MB resident`);

    for (const level of LEVELS) {
      if (overdue()) break;
      const connectStarted = performance.now();
      while (visitors.length < level && !overdue()) {
        const batch = Math.min(CONNECT_BATCH, level - visitors.length);
        const opened = await Promise.allSettled(
          Array.from({ length: batch }, () => connectVisitor(service.httpUrl)),
        );
        for (const outcome of opened) {
          if (outcome.status === 'fulfilled') visitors.push(outcome.value);
          else throw new Error(`a visitor socket was refused: ${String(outcome.reason)}`);
        }
      }
      const connectSeconds = (performance.now() - connectStarted) / 1000;
      log(`chat: ${visitors.length} sockets connected (${connectSeconds.toFixed(1)} s)`);

      // The consumer joins its group in the background; the first reply that arrives proves it.
      if (results.length === 0) {
        const first = visitors[0];
        while (first && (await sendReply(first, 1_000)) === undefined) {
          if (overdue()) throw new Error('the gateway never delivered a reply');
        }
      }

      const pick = (): Visitor => visitors[Math.floor(Math.random() * visitors.length)]!;
      const send = async (clientMessageId: string): Promise<number | undefined> => {
        const started = performance.now();
        const answer = (await pick()
          .socket.timeout(10_000)
          .emitWithAck('message:send', { clientMessageId, text: 'hi' })
          .catch(() => ({ ok: false }))) as { ok: boolean };
        return answer.ok ? performance.now() - started : undefined;
      };
      if (results.length === 0) {
        // Warm-up (JIT, Kafka and Redis connections), not measured.
        await pool(WARM_UP, CONCURRENCY, async (index) => {
          await send(`warm-${index}`);
          await sendReply(pick(), 10_000);
        });
      }
      const ackLatencies: number[] = [];
      await pool(SAMPLES, CONCURRENCY, async (index) => {
        const latency = await send(`m-${level}-${index}`);
        if (latency !== undefined) ackLatencies.push(latency);
      });
      const replyLatencies: number[] = [];
      let lost = 0;
      await pool(SAMPLES, CONCURRENCY, async () => {
        const latency = await sendReply(pick(), 10_000);
        if (latency === undefined) lost += 1;
        else replyLatencies.push(latency);
      });
      // Let the acks settle and the event loop go quiet before reading memory.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      ackLatencies.sort((a, b) => a - b);
      replyLatencies.sort((a, b) => a - b);
      results.push({
        sockets: visitors.length,
        rss_mb: rssMegabytes(pid),
        connect_s: Number(connectSeconds.toFixed(1)),
        send_ack_p50_ms: percentile(ackLatencies, 0.5),
        send_ack_p99_ms: percentile(ackLatencies, 0.99),
        reply_p50_ms: percentile(replyLatencies, 0.5),
        reply_p99_ms: percentile(replyLatencies, 0.99),
        sends_failed: SAMPLES - ackLatencies.length,
        replies_lost: lost,
      });
      log(`chat: ${JSON.stringify(results.at(-1))}`);
    }

    console.log(
      `\nchat gateway: one process (pid ${pid}), visitor sockets over loopback; ` +
        `${SAMPLES} sends and ${SAMPLES} replies per level, ${CONCURRENCY} in flight; ` +
        `idle ${idleRss} MB resident`,
    );
    const header = [
      'sockets',
      'RSS MB',
      'connect s',
      'ack p50',
      'ack p99',
      'reply p50',
      'reply p99',
    ]
      .map((cell) => cell.padStart(10))
      .join(' ');
    console.log(header);
    for (const result of results) {
      console.log(
        [
          result.sockets,
          result.rss_mb,
          result.connect_s,
          `${result.send_ack_p50_ms} ms`,
          `${result.send_ack_p99_ms} ms`,
          `${result.reply_p50_ms} ms`,
          `${result.reply_p99_ms} ms`,
        ]
          .map((cell) => String(cell).padStart(10))
          .join(' '),
      );
    }
    console.log(JSON.stringify({ bench: 'chat', idle_rss_mb: idleRss, results }));
  } finally {
    for (const visitor of visitors) visitor.socket.disconnect();
    const stopped = await service.stop('SIGTERM');
    if (stopped.code !== 0) log(`chat: gateway exited with ${stopped.code ?? stopped.signal}`);
    await producer.disconnect();
    await kafka
      .admin()
      .deleteTopics(topics)
      .catch(() => undefined);
    await kafka.close();
    const redis = openRedisConnection({ url: stack.redisUrl, keyPrefix: '' });
    await waitForRedisReady(redis);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisKeyPrefix}*`, 'COUNT', 5_000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
    await closeRedisConnection(redis);
    rmSync(directory, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
