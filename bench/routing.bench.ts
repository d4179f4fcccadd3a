/**
 * npm run bench -- routing
 *
 * Decision latency and throughput of the router's assignment core (atomic offers in Redis) with
 * 100, 1,000 and 10,000 online agents, 100,000 waiting tasks and 50 skills. Each skill is a queue
 * whose members are the agents holding that skill, so a decision looks at the queue's ready index
 * (best agents first) and never scans all agents: its cost should stay flat as agents grow.
 */
import { performance } from 'node:perf_hooks';
import {
  closeRedisConnection,
  openRedisConnection,
  type RedisClient,
  waitForRedisReady,
} from '@switchboard/redis';
import { stackUp } from '@switchboard/stack';
import { AssignmentStore } from '../services/router/src/assignment/assignment.store';

const AGENT_COUNTS = [100, 1_000, 10_000];
const WAITING_TASKS = 100_000;
const SKILLS = 50;
const SKILLS_PER_AGENT = 5;
const DECISIONS = 3_000;
const CONCURRENCY = 500;

interface Result {
  agents: number;
  decisions: number;
  p50_ms: number;
  p99_ms: number;
  per_s: number;
  setup_s: number;
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
}

async function inBatches<T>(items: T[], work: (item: T) => Promise<unknown>): Promise<void> {
  for (let index = 0; index < items.length; index += CONCURRENCY) {
    await Promise.all(items.slice(index, index + CONCURRENCY).map(work));
  }
}

async function deleteTenant(redis: RedisClient, prefix: string, tenant: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(
      cursor,
      'MATCH',
      `${prefix}{${tenant}}:*`,
      'COUNT',
      5_000,
    );
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}

async function measure(redis: RedisClient, agentCount: number): Promise<Result> {
  const store = new AssignmentStore(redis);
  const tenant = `bench-routing-${agentCount}-${Date.now()}`;
  const queues = Array.from({ length: SKILLS }, (_, index) => `skill-${index}`);
  const setupStarted = performance.now();

  await inBatches(queues, (queueId) =>
    store.configureQueue(tenant, {
      queueId,
      channel: 'chat',
      strategy: 'longest_idle',
      offerTtlMs: 3_600_000,
      autoAccept: false,
    }),
  );
  const agents = Array.from({ length: agentCount }, (_, index) => `agent-${index}`);
  await inBatches(agents, async (agentId) => {
    const agentQueues = new Set<string>();
    while (agentQueues.size < SKILLS_PER_AGENT)
      agentQueues.add(queues[Math.floor(Math.random() * SKILLS)]!);
    await store.configureAgent(tenant, {
      agentId,
      capacities: { chat: 3 },
      skills: Object.fromEntries(
        [...agentQueues].map((queue) => [queue, 1 + Math.floor(Math.random() * 10)]),
      ),
      languages: ['en'],
      queues: [...agentQueues],
    });
    await store.setStatus(tenant, agentId, 'available', Date.now(), { requeueAssigned: false });
  });
  const now = Date.now();
  const tasks = Array.from({ length: WAITING_TASKS }, (_, index) => index);
  await inBatches(tasks, (index) =>
    store.enqueueTask(tenant, {
      taskId: `task-${index}`,
      queueId: queues[index % SKILLS]!,
      channel: 'chat',
      units: 1,
      language: '',
      requiredSkills: {},
      priority: index % 3,
      enqueuedAt: now - index,
    }),
  );
  const setupSeconds = (performance.now() - setupStarted) / 1000;

  // One decision = take a queue's best waiting task and atomically offer it to its best ready agent.
  const decisions = Math.min(DECISIONS, agentCount * 3);
  const latencies: number[] = [];
  const started = performance.now();
  for (let index = 0; index < decisions; index += 1) {
    const queueId = queues[index % SKILLS]!;
    const decisionStarted = performance.now();
    const [taskId] = await store.waitingTasks(tenant, queueId, 1);
    if (taskId) await store.offerTask(tenant, queueId, taskId, Date.now());
    latencies.push(performance.now() - decisionStarted);
  }
  const elapsedSeconds = (performance.now() - started) / 1000;
  await deleteTenant(redis, redis.options.keyPrefix ?? '', tenant);

  latencies.sort((a, b) => a - b);
  return {
    agents: agentCount,
    decisions,
    p50_ms: Number(percentile(latencies, 0.5).toFixed(3)),
    p99_ms: Number(percentile(latencies, 0.99).toFixed(3)),
    per_s: Math.round(decisions / elapsedSeconds),
    setup_s: Number(setupSeconds.toFixed(1)),
  };
}

async function main(): Promise<void> {
  const stack = await stackUp();
  const redis = openRedisConnection({ url: stack.redisUrl, keyPrefix: 'bench:' });
  await waitForRedisReady(redis);
  const results: Result[] = [];
  try {
    for (const agentCount of AGENT_COUNTS) {
      process.stderr.write(
        `routing: ${agentCount} agents, ${WAITING_TASKS} waiting tasks, ${SKILLS} skills…\n`,
      );
      results.push(await measure(redis, agentCount));
    }
  } finally {
    await closeRedisConnection(redis);
  }
  console.log('\nrouting decisions (one client, sequential; Redis on loopback)');
  console.log(
    `${'agents'.padStart(8)} ${'decisions'.padStart(10)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'per s'.padStart(8)}`,
  );
  for (const result of results) {
    console.log(
      `${String(result.agents).padStart(8)} ${String(result.decisions).padStart(10)} ${result.p50_ms.toFixed(3).padStart(8)} ${result.p99_ms.toFixed(3).padStart(8)} ${String(result.per_s).padStart(8)}`,
    );
  }
  console.log(
    JSON.stringify({ bench: 'routing', waiting_tasks: WAITING_TASKS, skills: SKILLS, results }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
