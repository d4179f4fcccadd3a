import {
  closeRedisConnection,
  openRedisConnection,
  type RedisClient,
  waitForRedisReady,
} from '@switchboard/redis';
import { createTestContext, type TestContext } from '@switchboard/testing';
import { AssignmentStore } from './assignment.store';
import type { AgentRoutingProfile } from './assignment.types';
import { DispatchQueueUseCase } from './dispatch-queue.usecase';

const clock = { now: () => Date.now() };

describe('assignment store on real Redis', () => {
  let context: TestContext;
  let redis: RedisClient;
  let store: AssignmentStore;
  let dispatch: DispatchQueueUseCase;
  let tenant: string;

  beforeAll(async () => {
    context = createTestContext('router-assignment');
    redis = openRedisConnection({ url: context.stack.redisUrl, keyPrefix: context.redisKeyPrefix });
    await waitForRedisReady(redis);
    store = new AssignmentStore(redis);
    dispatch = new DispatchQueueUseCase(store, clock);
  });

  afterAll(async () => {
    await closeRedisConnection(redis);
  });

  let counter = 0;
  beforeEach(async () => {
    counter += 1;
    tenant = `${context.tenantId}-${counter}`;
    await store.configureQueue(tenant, {
      queueId: 'support',
      channel: 'chat',
      strategy: 'longest_idle',
      offerTtlMs: 30_000,
      autoAccept: false,
    });
  });

  const agent = (
    agentId: string,
    overrides: Partial<AgentRoutingProfile> = {},
  ): AgentRoutingProfile => ({
    agentId,
    capacities: { chat: 1 },
    skills: {},
    languages: ['en'],
    queues: ['support'],
    ...overrides,
  });

  const task = (taskId: string, enqueuedAt: number, overrides = {}) => ({
    taskId,
    queueId: 'support',
    channel: 'chat',
    units: 1,
    language: '',
    requiredSkills: {},
    priority: 0,
    enqueuedAt,
    ...overrides,
  });

  it('offers to the longest-idle available agent, never above capacity', async () => {
    await store.configureAgent(tenant, agent('ann'));
    await store.configureAgent(tenant, agent('bob'));
    await store.setStatus(tenant, 'bob', 'available', 1_000, { requeueAssigned: false });
    await store.setStatus(tenant, 'ann', 'available', 2_000, { requeueAssigned: false });
    await store.enqueueTask(tenant, task('t1', 10));
    await store.enqueueTask(tenant, task('t2', 20));
    await store.enqueueTask(tenant, task('t3', 30));

    const decisions = await dispatch.execute(tenant, 'support');

    expect(decisions.map((decision) => [decision.taskId, decision.outcome.agentId])).toEqual([
      ['t1', 'bob'],
      ['t2', 'ann'],
    ]);
    expect(await store.waitingTasks(tenant, 'support', 10)).toEqual(['t3']);
    expect(await store.readyAgentCount(tenant, 'support')).toBe(0);
  });

  it('orders by priority, then age, with priority worth bounded waiting time', async () => {
    await store.enqueueTask(tenant, task('old-normal', 0));
    await store.enqueueTask(tenant, task('new-urgent', 5 * 60_000, { priority: 1 }));
    await store.enqueueTask(tenant, task('very-old-normal', -20 * 60_000));
    expect(await store.waitingTasks(tenant, 'support', 10)).toEqual([
      'very-old-normal',
      'new-urgent',
      'old-normal',
    ]);
  });

  it('never re-offers a task to an agent who declined it or let the offer time out', async () => {
    await store.configureAgent(tenant, agent('ann'));
    await store.configureAgent(tenant, agent('bob'));
    await store.setStatus(tenant, 'ann', 'available', 1, { requeueAssigned: false });
    await store.enqueueTask(tenant, task('t1', 1));

    const [first] = await dispatch.execute(tenant, 'support');
    expect(first?.outcome.agentId).toBe('ann');
    expect(await store.declineOffer(tenant, 't1', 'ann')).toBe(true);
    expect(await dispatch.execute(tenant, 'support')).toEqual([]);

    await store.setStatus(tenant, 'bob', 'available', 2, { requeueAssigned: false });
    const [second] = await dispatch.execute(tenant, 'support');
    expect(second?.outcome).toMatchObject({ kind: 'offered', agentId: 'bob' });

    const expired = await store.expireOffers(
      tenant,
      second!.outcome.kind === 'offered' ? second!.outcome.expiresAt : 0,
    );
    expect(expired).toEqual([{ taskId: 't1', agentId: 'bob', queueId: 'support' }]);
    expect(await dispatch.execute(tenant, 'support')).toEqual([]);
    expect(await store.taskState(tenant, 't1')).toMatchObject({ state: 'waiting' });
  });

  it('matches language and extra skills, and accepts only from the offered agent', async () => {
    await store.configureAgent(tenant, agent('ann', { languages: ['en'], skills: { billing: 3 } }));
    await store.configureAgent(
      tenant,
      agent('dora', { languages: ['de', 'en'], skills: { billing: 8 } }),
    );
    await store.setStatus(tenant, 'ann', 'available', 1, { requeueAssigned: false });
    await store.setStatus(tenant, 'dora', 'available', 2, { requeueAssigned: false });
    await store.enqueueTask(
      tenant,
      task('german-billing', 1, { language: 'de', requiredSkills: { billing: 5 } }),
    );

    const [decision] = await dispatch.execute(tenant, 'support');
    expect(decision?.outcome.agentId).toBe('dora');
    expect(await store.acceptOffer(tenant, 'german-billing', 'ann')).toBe(false);
    expect(await store.acceptOffer(tenant, 'german-billing', 'dora')).toBe(true);
    expect(await store.taskState(tenant, 'german-billing')).toEqual({
      state: 'assigned',
      agentId: 'dora',
      queueId: 'support',
    });
  });

  it('looks past a first page of ready agents who do not qualify, up to the candidate limit', async () => {
    // 120 ready English speakers rank first (longest idle); the only Norwegian speaker ranks last.
    for (let index = 0; index < 120; index += 1) {
      await store.configureAgent(tenant, agent(`en-${index}`));
      await store.setStatus(tenant, `en-${index}`, 'available', index + 1, {
        requeueAssigned: false,
      });
    }
    await store.configureAgent(tenant, agent('nora', { languages: ['nb', 'en'] }));
    await store.setStatus(tenant, 'nora', 'available', 1_000, { requeueAssigned: false });
    await store.enqueueTask(tenant, task('norwegian', 1, { language: 'nb' }));

    // Looking at the first 50 only, the task would wait while nora sits idle.
    const firstPageOnly = await store.offerTask(tenant, 'support', 'norwegian', 2_000, 50);
    expect(firstPageOnly).toMatchObject({ kind: 'no_agent', passedOver: 50 });
    const offered = await store.offerTask(tenant, 'support', 'norwegian', 2_000);
    expect(offered).toMatchObject({ kind: 'offered', agentId: 'nora', passedOver: 120 });
  });

  it('returns a silent agent’s offers (and optionally assignments) to the queue with their age', async () => {
    await store.configureAgent(tenant, agent('ann', { capacities: { chat: 2 } }));
    await store.setStatus(tenant, 'ann', 'available', 1_000, { requeueAssigned: false });
    await store.enqueueTask(tenant, task('offered', 1));
    await store.enqueueTask(tenant, task('assigned', 2));
    await dispatch.execute(tenant, 'support');
    await store.acceptOffer(tenant, 'assigned', 'ann');
    await store.enqueueTask(tenant, task('newer', 3));

    const swept = await store.sweepSilentAgents(tenant, 5_000, { requeueAssigned: true });

    expect(swept.offline).toEqual(['ann']);
    expect(swept.released.map((released) => released.taskId).sort()).toEqual([
      'assigned',
      'offered',
    ]);
    expect(await store.waitingTasks(tenant, 'support', 10)).toEqual([
      'offered',
      'assigned',
      'newer',
    ]);
    expect(await store.heartbeat(tenant, 'ann', 6_000)).toBe(false);
  });

  it('frees capacity when a task completes, which lets the next task through', async () => {
    await store.configureAgent(tenant, agent('ann'));
    await store.setStatus(tenant, 'ann', 'available', 1, { requeueAssigned: false });
    await store.enqueueTask(tenant, task('t1', 1));
    await store.enqueueTask(tenant, task('t2', 2));
    await dispatch.execute(tenant, 'support');
    expect(await store.completeTask(tenant, 't1')).toEqual({
      freedAgentId: 'ann',
      queueId: 'support',
    });
    const [next] = await dispatch.execute(tenant, 'support');
    expect(next).toMatchObject({ taskId: 't2', outcome: { agentId: 'ann' } });
    expect(await store.enqueueTask(tenant, task('t2', 2))).toBe('exists');
  });
});
