import {
  closeRedisConnection,
  openRedisConnection,
  type RedisClient,
  waitForRedisReady,
} from '@switchboard/redis';
import { createTestContext } from '@switchboard/testing';
import { AssignmentStore } from './assignment.store';
import { DispatchQueueUseCase, type RoutingDecision } from './dispatch-queue.usecase';
import { LuaScript } from './lua-script';

/**
 * Three router replicas (each its own Redis connection, store and dispatcher) share thousands of
 * tasks while agents accept, decline, ignore offers and flap online/offline. An atomic checker
 * reads the whole state between operations and must never find an agent above capacity, a task
 * held by two agents, or a task that is neither waiting in its queue nor held.
 */

const INVARIANTS = new LuaScript(
  'test-invariants',
  `
local P = ARGV[1]
local agents = cjson.decode(ARGV[2])
local tasks = cjson.decode(ARGV[3])
local violations = {}
local holders = {}
for _, a in ipairs(agents) do
  local ak = P .. 'agent:' .. a
  local held = {}
  for _, t in ipairs(redis.call('SMEMBERS', ak .. ':tasks')) do
    local tk = P .. 'task:' .. t
    local state = redis.call('HGET', tk, 'state')
    local owner = redis.call('HGET', tk, 'agent')
    if (state ~= 'offered' and state ~= 'assigned') or owner ~= a then
      table.insert(violations, a .. ' holds ' .. t .. ' (' .. tostring(state) .. ', ' .. tostring(owner) .. ')')
    end
    if holders[t] then table.insert(violations, t .. ' held by ' .. holders[t] .. ' and ' .. a) end
    holders[t] = a
    local channel = redis.call('HGET', tk, 'channel')
    held[channel] = (held[channel] or 0) + tonumber(redis.call('HGET', tk, 'units') or '1')
  end
  for _, channel in ipairs({ 'chat', 'email' }) do
    local load = tonumber(redis.call('HGET', ak, 'load:' .. channel) or '0')
    local cap = tonumber(redis.call('HGET', ak, 'cap:' .. channel) or '0')
    if load > cap then table.insert(violations, a .. ' above capacity on ' .. channel) end
    if load ~= (held[channel] or 0) then
      table.insert(violations, a .. ' load ' .. load .. ' but holds ' .. (held[channel] or 0) .. ' on ' .. channel)
    end
  end
end
for _, t in ipairs(tasks) do
  local tk = P .. 'task:' .. t
  local state = redis.call('HGET', tk, 'state')
  if state == 'offered' or state == 'assigned' then
    if not holders[t] then table.insert(violations, t .. ' ' .. state .. ' but held by nobody') end
  elseif state == 'waiting' then
    local queue = redis.call('HGET', tk, 'queue')
    if not redis.call('ZSCORE', P .. 'queue:' .. queue .. ':waiting', t) then
      table.insert(violations, t .. ' waiting but not in its queue')
    end
    for _, widened in ipairs(redis.call('SMEMBERS', tk .. ':queues')) do
      if not redis.call('ZSCORE', P .. 'queue:' .. widened .. ':waiting', t) then
        table.insert(violations, t .. ' widened to ' .. widened .. ' but not waiting there')
      end
    end
  elseif state ~= 'done' then
    table.insert(violations, t .. ' lost (state ' .. tostring(state) .. ')')
  end
end
-- Nothing offerable that is not waiting: every member of a waiting set waits, there or widened there.
for _, queue in ipairs(cjson.decode(ARGV[4])) do
  for _, t in ipairs(redis.call('ZRANGE', P .. 'queue:' .. queue .. ':waiting', 0, -1)) do
    local tk = P .. 'task:' .. t
    local state = redis.call('HGET', tk, 'state')
    local home = redis.call('HGET', tk, 'queue')
    if state ~= 'waiting' then
      table.insert(violations, t .. ' in ' .. queue .. ' waiting set but ' .. tostring(state))
    elseif home ~= queue and redis.call('SISMEMBER', tk .. ':queues', queue) == 0 then
      table.insert(violations, t .. ' in ' .. queue .. ' waiting set but neither home nor widened')
    end
  end
end
return violations
`,
);

interface Replica {
  redis: RedisClient;
  store: AssignmentStore;
  dispatch: DispatchQueueUseCase;
}

const QUEUES = ['chat-q', 'mail-q'] as const;
const AGENT_COUNT = 30;
const TASK_COUNT = 3_000;

function random<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]!;
}

describe('assignment under concurrency: three replicas, flapping agents', () => {
  const context = createTestContext('router-concurrency');
  const tenant = context.tenantId;
  const replicas: Replica[] = [];
  const agents = Array.from({ length: AGENT_COUNT }, (_, index) => `agent-${index}`);
  const tasks = Array.from({ length: TASK_COUNT }, (_, index) => `task-${index}`);
  const germanSpeakers = new Set(agents.slice(0, 12));
  const violations: string[] = [];
  const enqueuedTasks: string[] = [];
  const offers = new Map<string, string>();
  const assigned = new Map<string, string>();
  const clock = { now: () => Date.now() };

  beforeAll(async () => {
    for (let index = 0; index < 3; index += 1) {
      const redis = openRedisConnection({
        url: context.stack.redisUrl,
        keyPrefix: context.redisKeyPrefix,
      });
      await waitForRedisReady(redis);
      const store = new AssignmentStore(redis);
      replicas.push({ redis, store, dispatch: new DispatchQueueUseCase(store, clock) });
    }
    const { store } = replicas[0]!;
    await store.configureQueue(tenant, {
      queueId: 'chat-q',
      channel: 'chat',
      strategy: 'longest_idle',
      offerTtlMs: 250,
      autoAccept: false,
    });
    await store.configureQueue(tenant, {
      queueId: 'mail-q',
      channel: 'email',
      strategy: 'least_loaded',
      offerTtlMs: 250,
      autoAccept: false,
    });
    // Chat tasks age through overflow steps while the replicas work: a priority raise, widening to
    // the mail queue (whose agents then need free chat capacity too) and dropping the language.
    await store.syncQueues(tenant, Date.now(), [
      {
        queueId: 'chat-q',
        closed: false,
        steps: [
          { afterMs: 100, kind: 'raisePriority', raiseBy: 1 },
          { afterMs: 300, kind: 'widen', queues: ['mail-q'] },
          { afterMs: 600, kind: 'dropLanguage' },
        ],
      },
      { queueId: 'mail-q', closed: false, steps: [] },
    ]);
    for (const [index, agentId] of agents.entries()) {
      await store.configureAgent(tenant, {
        agentId,
        capacities: { chat: 1 + (index % 3), email: 2 + (index % 4) },
        skills: {},
        languages: germanSpeakers.has(agentId) ? ['en', 'de'] : ['en'],
        queues: [...QUEUES],
      });
    }
  });

  afterAll(async () => {
    await Promise.all(replicas.map((replica) => closeRedisConnection(replica.redis)));
  });

  const record = (decisions: RoutingDecision[]): void => {
    for (const decision of decisions) offers.set(decision.taskId, decision.outcome.agentId);
  };

  const checkInvariants = async (): Promise<void> => {
    const found = (await INVARIANTS.run(
      replicas[0]!.redis,
      [`{${tenant}}:offers`],
      [
        `${context.redisKeyPrefix}{${tenant}}:`,
        JSON.stringify(agents),
        JSON.stringify(enqueuedTasks),
        JSON.stringify(QUEUES),
      ],
    )) as string[];
    violations.push(...found);
  };

  const dispatchAll = async (replica: Replica): Promise<void> => {
    for (const queue of QUEUES) record(await replica.dispatch.execute(tenant, queue));
  };

  it('keeps every invariant while tasks arrive and agents accept, decline, time out and flap', async () => {
    const deadline = Date.now() + 6_000;
    let enqueued = 0;

    const enqueuer = async (replica: Replica, slice: string[]): Promise<void> => {
      for (const taskId of slice) {
        const queueId = Math.random() < 0.7 ? 'chat-q' : 'mail-q';
        await replica.store.enqueueTask(tenant, {
          taskId,
          queueId,
          channel: queueId === 'chat-q' ? 'chat' : 'email',
          units: 1,
          language: Math.random() < 0.1 ? 'de' : '',
          requiredSkills: {},
          priority: Math.floor(Math.random() * 3),
          enqueuedAt: Date.now(),
        });
        enqueued += 1;
        enqueuedTasks.push(taskId);
        record(await replica.dispatch.execute(tenant, queueId));
      }
    };

    const agentsBehave = async (replica: Replica): Promise<void> => {
      while (Date.now() < deadline) {
        for (const [taskId, agentId] of [...offers].slice(0, 40)) {
          offers.delete(taskId);
          const roll = Math.random();
          if (roll < 0.75) {
            if (await replica.store.acceptOffer(tenant, taskId, agentId))
              assigned.set(taskId, agentId);
          } else if (roll < 0.85) {
            await replica.store.declineOffer(tenant, taskId, agentId);
          } // else: ignored; the offer times out
        }
        for (const [taskId] of [...assigned].slice(0, 15)) {
          assigned.delete(taskId);
          await replica.store.completeTask(tenant, taskId);
        }
        await dispatchAll(replica);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };

    const flapper = async (replica: Replica): Promise<void> => {
      while (Date.now() < deadline) {
        const agentId = random(agents);
        const status = random(['available', 'available', 'busy', 'offline'] as const);
        await replica.store.setStatus(tenant, agentId, status, Date.now(), {
          requeueAssigned: Math.random() < 0.5,
        });
        await dispatchAll(replica);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };

    const expirer = async (replica: Replica): Promise<void> => {
      while (Date.now() < deadline) {
        if ((await replica.store.expireOffers(tenant, Date.now())).length > 0)
          await dispatchAll(replica);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };

    const stepsApplied = new Map<string, number>();
    const overflowTicker = async (replica: Replica): Promise<void> => {
      while (Date.now() < deadline) {
        const applied = await replica.store.applyDueSteps(tenant, Date.now());
        for (const { kind } of applied) stepsApplied.set(kind, (stepsApplied.get(kind) ?? 0) + 1);
        if (applied.length > 0) await dispatchAll(replica);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };

    const monitor = async (): Promise<void> => {
      while (Date.now() < deadline) {
        await checkInvariants();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };

    const third = Math.ceil(TASK_COUNT / 3);
    await Promise.all([
      ...replicas.map((replica, index) =>
        enqueuer(replica, tasks.slice(index * third, (index + 1) * third)),
      ),
      ...replicas.map((replica) => agentsBehave(replica)),
      ...replicas.map((replica) => flapper(replica)),
      ...replicas.map((replica) => expirer(replica)),
      ...replicas.map((replica) => overflowTicker(replica)),
      monitor(),
    ]);
    await checkInvariants();

    expect(enqueued).toBe(TASK_COUNT);
    // Every kind of step fired while the replicas worked (not only the first one).
    expect([...stepsApplied.keys()].sort()).toEqual(['dropLanguage', 'raisePriority', 'widen']);
    expect(violations).toEqual([]);
  }, 60_000);

  it('leaves no task waiting while an eligible agent is free, and drains everything', async () => {
    const [replica] = replicas;
    for (const agentId of agents) {
      await replica!.store.setStatus(tenant, agentId, 'available', Date.now(), {
        requeueAssigned: false,
      });
    }
    const drainDeadline = Date.now() + 30_000;
    let stuckChecked = false;
    while (Date.now() < drainDeadline) {
      await replica!.store.expireOffers(tenant, Number.MAX_SAFE_INTEGER);
      for (const queue of QUEUES) {
        for (const decision of await replica!.dispatch.execute(tenant, queue)) {
          await replica!.store.acceptOffer(tenant, decision.taskId, decision.outcome.agentId);
        }
      }
      if (!stuckChecked) {
        // Right after a dispatch round, any waiting task must have no ready agent it could go to.
        stuckChecked = true;
        for (const queue of QUEUES) {
          const ready = await replica!.redis.zrange(`{${tenant}}:queue:${queue}:ready`, 0, -1);
          for (const taskId of await replica!.store.waitingTasks(tenant, queue, 10_000)) {
            const [language, channel] = await replica!.redis.hmget(
              `{${tenant}}:task:${taskId}`,
              'lang',
              'channel',
            );
            for (const agentId of ready) {
              // A chat task widened to the mail queue also needs free chat capacity.
              const [load, cap] = await replica!.redis.hmget(
                `{${tenant}}:agent:${agentId}`,
                `load:${channel}`,
                `cap:${channel}`,
              );
              if (Number(load ?? 0) + 1 > Number(cap ?? 0)) continue;
              const declined = await replica!.redis.sismember(
                `{${tenant}}:task:${taskId}:declined`,
                agentId,
              );
              const speaks = !language || language === 'en' || germanSpeakers.has(agentId);
              if (!declined && speaks) violations.push(`${taskId} waits while ${agentId} is ready`);
            }
          }
        }
      }
      let active = 0;
      for (const taskId of tasks) {
        const { state } = await replica!.store.taskState(tenant, taskId);
        if (state === 'assigned' || state === 'offered')
          await replica!.store.completeTask(tenant, taskId);
        if (state !== 'done') active += 1;
      }
      await checkInvariants();
      if (active === 0) break;
    }

    const states = new Map<string, number>();
    for (const taskId of tasks) {
      const { state = 'missing' } = await replica!.store.taskState(tenant, taskId);
      states.set(state, (states.get(state) ?? 0) + 1);
    }
    expect(Object.fromEntries(states)).toEqual({ done: TASK_COUNT });
    expect(violations).toEqual([]);
  }, 60_000);
});
