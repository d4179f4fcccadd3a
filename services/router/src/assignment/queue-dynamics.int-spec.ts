import {
  closeRedisConnection,
  openRedisConnection,
  type RedisClient,
  waitForRedisReady,
} from '@switchboard/redis';
import { createTestContext, type TestContext } from '@switchboard/testing';
import { AssignmentStore, CANDIDATE_LIMIT } from './assignment.store';
import type { AgentRoutingProfile, QueueDynamics, RoutingTask } from './assignment.types';
import { DispatchQueueUseCase } from './dispatch-queue.usecase';

const clock = { now: () => Date.now() };
const MINUTE = 60_000;

/**
 * Candidates in explanations, business-hours closing, overflow steps, the aging boost, the
 * previous-agent preference and weighted capacity, on the real Redis Lua core.
 */
describe('queue dynamics in the assignment core on real Redis', () => {
  let context: TestContext;
  let redis: RedisClient;
  let store: AssignmentStore;
  let dispatch: DispatchQueueUseCase;
  let tenant: string;

  beforeAll(async () => {
    context = createTestContext('router-queue-dynamics');
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
    for (const queueId of ['support', 'overflow']) {
      await store.configureQueue(tenant, {
        queueId,
        channel: 'chat',
        strategy: 'longest_idle',
        offerTtlMs: 30_000,
        autoAccept: false,
      });
    }
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

  const task = (taskId: string, enqueuedAt: number, overrides: Partial<RoutingTask> = {}) => ({
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

  const dynamics = (overrides: Partial<QueueDynamics> = {}): QueueDynamics => ({
    queueId: 'support',
    closed: false,
    steps: [],
    ...overrides,
  });

  const online = async (agentId: string, at: number): Promise<void> => {
    await store.setStatus(tenant, agentId, 'available', at, { requeueAssigned: false });
  };

  describe('candidates in the explanation', () => {
    it('lists the agents looked at, why each was passed over, and the chosen one last', async () => {
      await store.configureAgent(tenant, agent('busy-ann', { capacities: { chat: 0 } }));
      await store.configureAgent(
        tenant,
        agent('dec-bob', { languages: ['de'], skills: { billing: 5 } }),
      );
      await store.configureAgent(tenant, agent('en-cleo', { skills: { billing: 9 } }));
      await store.configureAgent(
        tenant,
        agent('low-dan', { languages: ['de'], skills: { billing: 2 } }),
      );
      await store.configureAgent(
        tenant,
        agent('dora', { languages: ['de', 'en'], skills: { billing: 7 } }),
      );
      // busy-ann has no capacity, so she is not in the ready index at all.
      for (const [index, agentId] of ['busy-ann', 'dec-bob', 'en-cleo', 'low-dan'].entries())
        await online(agentId, 1_000 + index);
      await store.enqueueTask(
        tenant,
        task('t1', 1, { language: 'de', requiredSkills: { billing: 5 } }),
      );
      const first = await store.offerTask(tenant, 'support', 't1', 2_000);
      expect(first).toMatchObject({ kind: 'offered', agentId: 'dec-bob' });
      expect(await store.declineOffer(tenant, 't1', 'dec-bob')).toBe(true);
      // Ready order now: en-cleo, low-dan, dec-bob (idle since the offer), dora.
      await online('dora', 2_500);

      const outcome = await store.offerTask(tenant, 'support', 't1', 3_000);

      expect(outcome).toMatchObject({ kind: 'offered', agentId: 'dora', via: 'ready_index' });
      if (outcome.kind !== 'offered') throw new Error('expected an offer');
      expect(outcome.passedOver).toBe(3);
      expect(outcome.candidates).toEqual([
        { agentId: 'en-cleo', chosen: false, reason: 'does not speak de' },
        { agentId: 'low-dan', chosen: false, reason: 'lacks skill billing >= 5 (has 2)' },
        {
          agentId: 'dec-bob',
          chosen: false,
          reason: 'declined it or let its offer expire before',
        },
        { agentId: 'dora', chosen: true, reason: '' },
      ]);
    });

    it('caps the list while counting every agent passed over', async () => {
      const agents = Array.from({ length: 25 }, (_, index) => `a${String(index).padStart(2, '0')}`);
      for (const [index, agentId] of agents.entries()) {
        await store.configureAgent(
          tenant,
          agent(agentId, { languages: index === 24 ? ['fr'] : ['en'] }),
        );
        await online(agentId, 1_000 + index);
      }
      await store.enqueueTask(tenant, task('french', 1, { language: 'fr' }));

      const outcome = await store.offerTask(tenant, 'support', 'french', 2_000);

      if (outcome.kind !== 'offered') throw new Error(`expected an offer, got ${outcome.kind}`);
      expect(outcome.agentId).toBe('a24');
      expect(outcome.passedOver).toBe(24);
      expect(outcome.candidates).toHaveLength(CANDIDATE_LIMIT);
      expect(outcome.candidates.at(-1)).toEqual({ agentId: 'a24', chosen: true, reason: '' });
      expect(outcome.candidates[0]).toEqual({
        agentId: 'a00',
        chosen: false,
        reason: 'does not speak fr',
      });
    });

    it('reports the candidates of a task nobody can take', async () => {
      await store.configureAgent(tenant, agent('ann'));
      await online('ann', 1);
      await store.enqueueTask(tenant, task('t1', 1, { language: 'ja' }));
      expect(await store.offerTask(tenant, 'support', 't1', 2)).toEqual({
        kind: 'no_agent',
        passedOver: 1,
        candidates: [{ agentId: 'ann', chosen: false, reason: 'does not speak ja' }],
      });
    });
  });

  describe('business hours', () => {
    it('offers nothing while the queue is closed and everything once it opens', async () => {
      await store.configureAgent(tenant, agent('ann'));
      await online('ann', 1);
      await store.syncQueues(tenant, 10, [dynamics({ closed: true })]);
      await store.enqueueTask(tenant, task('t1', 1));

      expect(await store.offerTask(tenant, 'support', 't1', 20)).toEqual({ kind: 'queue_closed' });
      expect(await dispatch.execute(tenant, 'support')).toEqual([]);
      expect(await store.waitingTasks(tenant, 'support', 10)).toEqual(['t1']);

      await store.syncQueues(tenant, 30, [dynamics({ closed: false })]);
      const [decision] = await dispatch.execute(tenant, 'support');
      expect(decision).toMatchObject({ taskId: 't1', outcome: { agentId: 'ann' } });
    });
  });

  describe('overflow steps', () => {
    it('relaxes required levels step by step, and only when the task has waited long enough', async () => {
      // Membership is decided on the fully relaxed level (billing ≥ 3); the offer checks the
      // levels still due for this task.
      await store.configureAgent(tenant, agent('junior', { skills: { billing: 4 } }));
      await online('junior', 1);
      await store.syncQueues(tenant, 0, [
        dynamics({
          relaxableSkills: { billing: 7 },
          steps: [
            { afterMs: MINUTE, kind: 'relax', delta: 2 },
            { afterMs: 2 * MINUTE, kind: 'relax', delta: 2 },
          ],
        }),
      ]);
      await store.enqueueTask(tenant, task('t1', 0));

      expect(await store.offerTask(tenant, 'support', 't1', 10)).toMatchObject({
        kind: 'no_agent',
        candidates: [{ agentId: 'junior', reason: 'lacks skill billing >= 7 (has 4)' }],
      });
      expect(await store.applyDueSteps(tenant, MINUTE - 1)).toEqual([]);
      expect(await store.applyDueSteps(tenant, MINUTE)).toEqual([
        { taskId: 't1', queueId: 'support', step: 1, kind: 'relax', detail: '2' },
      ]);
      expect(await store.applyDueSteps(tenant, MINUTE + 5)).toEqual([]);
      expect(await store.offerTask(tenant, 'support', 't1', MINUTE + 10)).toMatchObject({
        kind: 'no_agent',
        candidates: [{ agentId: 'junior', reason: 'lacks skill billing >= 5 (has 4)' }],
      });
      expect(await store.applyDueSteps(tenant, 2 * MINUTE)).toMatchObject([
        { taskId: 't1', step: 2, detail: '4' },
      ]);
      expect(await store.offerTask(tenant, 'support', 't1', 2 * MINUTE + 1)).toMatchObject({
        kind: 'offered',
        agentId: 'junior',
      });
      // The schedule is empty now: no step left and the task is held.
      expect(await store.applyDueSteps(tenant, 10 * MINUTE)).toEqual([]);
    });

    it('relaxes the task’s own skill requirements too', async () => {
      await store.configureAgent(tenant, agent('generalist', { skills: { tech: 4 } }));
      await online('generalist', 1);
      await store.syncQueues(tenant, 0, [
        dynamics({ steps: [{ afterMs: MINUTE, kind: 'relax', delta: 2 }] }),
      ]);
      await store.enqueueTask(tenant, task('t1', 0, { requiredSkills: { tech: 6 } }));
      expect(await store.offerTask(tenant, 'support', 't1', 10)).toMatchObject({
        kind: 'no_agent',
        candidates: [{ agentId: 'generalist', reason: 'lacks skill tech >= 6 (has 4)' }],
      });
      await store.applyDueSteps(tenant, MINUTE);
      expect(await store.offerTask(tenant, 'support', 't1', MINUTE)).toMatchObject({
        kind: 'offered',
        agentId: 'generalist',
      });
    });

    it('widens to overflow queues, drops the language and raises priority, each once', async () => {
      await store.configureAgent(tenant, agent('olga', { queues: ['overflow'] }));
      await online('olga', 1);
      await store.syncQueues(tenant, 0, [
        dynamics({
          steps: [
            { afterMs: MINUTE, kind: 'raisePriority', raiseBy: 2 },
            { afterMs: 2 * MINUTE, kind: 'widen', queues: ['overflow'] },
            { afterMs: 3 * MINUTE, kind: 'dropLanguage' },
          ],
        }),
      ]);
      await store.enqueueTask(tenant, task('t1', 0, { language: 'pt' }));

      // Several replicas ticking at the same moment apply each due step once.
      const ticks = await Promise.all([
        store.applyDueSteps(tenant, MINUTE),
        store.applyDueSteps(tenant, MINUTE),
        store.applyDueSteps(tenant, MINUTE),
      ]);
      expect(ticks.flat().filter((applied) => applied.taskId === 't1')).toEqual([
        { taskId: 't1', queueId: 'support', step: 1, kind: 'raisePriority', detail: '2' },
      ]);
      // Priority 2 is worth 20 minutes of waiting: t1 now goes before t0, which waited 5 minutes more.
      await store.enqueueTask(tenant, task('t0', -5 * MINUTE, { language: 'pt' }));
      expect(await store.waitingTasks(tenant, 'support', 10)).toEqual(['t1', 't0']);

      expect(await store.waitingTasks(tenant, 'overflow', 10)).toEqual([]);
      await store.applyDueSteps(tenant, 2 * MINUTE);
      expect(await store.waitingTasks(tenant, 'overflow', 10)).toContain('t1');
      expect(await store.offerTask(tenant, 'overflow', 't1', 2 * MINUTE)).toMatchObject({
        kind: 'no_agent',
        candidates: [{ agentId: 'olga', reason: 'does not speak pt' }],
      });

      await store.applyDueSteps(tenant, 3 * MINUTE);
      expect(await store.taskRouting(tenant, 't1')).toMatchObject({
        priority: 2,
        language: '',
        stepsApplied: 3,
        widenedTo: ['overflow'],
      });
      const [decision] = await dispatch.execute(tenant, 'overflow');
      expect(decision).toMatchObject({ taskId: 't1', outcome: { agentId: 'olga' } });
      // Offered from the overflow queue, the task left every waiting set it was in.
      expect(await store.waitingTasks(tenant, 'support', 10)).toEqual(['t0']);
      expect(await store.waitingTasks(tenant, 'overflow', 10)).toEqual(['t0']);
    });

    it('keeps the age of a task given back, so its schedule continues where it was', async () => {
      await store.configureAgent(tenant, agent('ann'));
      await online('ann', 1);
      await store.syncQueues(tenant, 0, [
        dynamics({ steps: [{ afterMs: MINUTE, kind: 'widen', queues: ['overflow'] }] }),
      ]);
      await store.enqueueTask(tenant, task('t1', 0));
      await store.offerTask(tenant, 'support', 't1', 10);
      // Offered tasks are out of the schedule…
      expect(await store.applyDueSteps(tenant, 2 * MINUTE)).toEqual([]);
      // …and back in it, due at once, when the offer is declined after the step's time.
      await store.declineOffer(tenant, 't1', 'ann');
      expect(await store.applyDueSteps(tenant, 2 * MINUTE)).toMatchObject([
        { taskId: 't1', step: 1, kind: 'widen', detail: 'overflow' },
      ]);
    });

    it('reschedules waiting tasks when the queue’s steps change, and counts tasks over max wait', async () => {
      await store.enqueueTask(tenant, task('old', 0));
      await store.enqueueTask(tenant, task('new', 5 * MINUTE));
      expect(await store.applyDueSteps(tenant, 10 * MINUTE)).toEqual([]);

      const over = await store.syncQueues(tenant, 6 * MINUTE, [
        dynamics({ steps: [{ afterMs: MINUTE, kind: 'dropLanguage' }], maxWaitMs: 3 * MINUTE }),
      ]);
      expect(over).toEqual(new Map([['support', 1]]));
      expect((await store.applyDueSteps(tenant, 6 * MINUTE)).map((step) => step.taskId)).toEqual([
        'old',
        'new',
      ]);
      expect(
        await store.syncQueues(tenant, 9 * MINUTE, [
          dynamics({ steps: [{ afterMs: MINUTE, kind: 'dropLanguage' }], maxWaitMs: 3 * MINUTE }),
        ]),
      ).toEqual(new Map([['support', 2]]));
      await store.completeTask(tenant, 'old');
      expect(
        await store.syncQueues(tenant, 9 * MINUTE, [dynamics({ maxWaitMs: 3 * MINUTE })]),
      ).toEqual(new Map([['support', 1]]));
      // Outside business hours waiting is expected and not counted.
      expect(
        await store.syncQueues(tenant, 9 * MINUTE, [
          dynamics({ closed: true, maxWaitMs: 3 * MINUTE }),
        ]),
      ).toEqual(new Map([['support', 0]]));
    });
  });

  describe('aging boost', () => {
    it('uses the queue’s worth of a priority step in waiting time', async () => {
      await store.syncQueues(tenant, 0, [dynamics({ priorityStepMs: MINUTE })]);
      await store.enqueueTask(tenant, task('old-normal', 0));
      await store.enqueueTask(tenant, task('urgent-5m', 5 * MINUTE, { priority: 3 }));
      await store.enqueueTask(tenant, task('urgent-4m', 4 * MINUTE, { priority: 3 }));
      // 3 steps are worth 3 minutes here (not 30): the normal task that waited 4 minutes longer
      // goes first; with the default 10 minutes per step both urgent ones would.
      expect(await store.waitingTasks(tenant, 'support', 10)).toEqual([
        'old-normal',
        'urgent-4m',
        'urgent-5m',
      ]);
    });
  });

  describe('previous agent', () => {
    const handleAndComplete = async (agentId: string, taskId: string): Promise<void> => {
      await store.enqueueTask(tenant, task(taskId, 1));
      const outcome = await store.offerTask(tenant, 'support', taskId, 2);
      expect(outcome).toMatchObject({ agentId });
      await store.acceptOffer(tenant, taskId, agentId);
      await store.completeTask(tenant, taskId);
    };

    beforeEach(async () => {
      await store.configureAgent(tenant, agent('prev', { capacities: { chat: 2 } }));
      await store.configureAgent(tenant, agent('other', { capacities: { chat: 2 } }));
      await store.syncQueues(tenant, 0, [dynamics({ preferPreviousMs: 10 * MINUTE })]);
    });

    it('offers a returning conversation to the agent who last handled it', async () => {
      await online('prev', 10);
      await handleAndComplete('prev', 'c1');
      await online('other', 1); // idle since 1, prev since 2: other leads the ready index
      expect(await store.taskRouting(tenant, 'c1')).toMatchObject({ lastAgentId: 'prev' });

      await store.enqueueTask(tenant, task('c1', 1_000));
      const outcome = await store.offerTask(tenant, 'support', 'c1', 1_001);

      expect(outcome).toMatchObject({ kind: 'offered', agentId: 'prev', via: 'previous_agent' });
    });

    it('prefers the previous agent for the queue’s window only', async () => {
      await online('prev', 10);
      await handleAndComplete('prev', 'c1');
      await online('other', 1);
      await store.enqueueTask(tenant, task('c1', 1_000));
      expect(await store.offerTask(tenant, 'support', 'c1', 1_000 + 10 * MINUTE)).toMatchObject({
        agentId: 'prev',
        via: 'previous_agent',
      });
      await store.declineOffer(tenant, 'c1', 'prev');
      await store.completeTask(tenant, 'c1');

      await store.enqueueTask(tenant, task('c1', 2_000));
      // Past the window: normal selection (prev is not even tried first).
      const late = await store.offerTask(tenant, 'support', 'c1', 2_000 + 10 * MINUTE + 1);
      expect(late).toMatchObject({ agentId: 'other', via: 'ready_index' });
    });

    it('never waits for a previous agent who is offline or full: normal selection at once', async () => {
      await online('prev', 10);
      await handleAndComplete('prev', 'c1');
      await online('other', 20);
      await store.setStatus(tenant, 'prev', 'offline', 30, { requeueAssigned: false });
      await store.enqueueTask(tenant, task('c1', 1_000));

      const outcome = await store.offerTask(tenant, 'support', 'c1', 1_001);

      expect(outcome).toMatchObject({ kind: 'offered', agentId: 'other', via: 'ready_index' });
      if (outcome.kind !== 'offered') throw new Error('expected an offer');
      expect(outcome.candidates[0]).toEqual({
        agentId: 'prev',
        chosen: false,
        reason: 'handled it last, but is offline',
      });
    });
  });

  describe('weighted capacity and giving work back', () => {
    it('counts the queue’s units per task against the agent’s capacity', async () => {
      await store.configureAgent(tenant, agent('ann', { capacities: { chat: 5 } }));
      await online('ann', 1);
      await store.syncQueues(tenant, 0, [dynamics({ unitsPerTask: 2 })]);
      for (const id of ['t1', 't2', 't3']) await store.enqueueTask(tenant, task(id, 1));

      const decisions = await dispatch.execute(tenant, 'support');

      expect(decisions.map((decision) => decision.taskId)).toEqual(['t1', 't2']);
      expect(await store.offerTask(tenant, 'support', 't3', 5)).toMatchObject({
        kind: 'no_agent',
      });
      expect(await store.readyAgentCount(tenant, 'support')).toBe(1); // 4 of 5 units: still ready
      expect((await store.taskRouting(tenant, 't3')).units).toBe(2);
    });

    it('gives back assigned conversations of a queue that says so, even when the service does not', async () => {
      await store.configureAgent(
        tenant,
        agent('ann', { capacities: { chat: 3 }, queues: ['support', 'overflow'] }),
      );
      await online('ann', 1);
      await store.syncQueues(tenant, 0, [
        dynamics({ requeueAssignedOnOffline: true }),
        dynamics({ queueId: 'overflow', requeueAssignedOnOffline: false }),
      ]);
      await store.enqueueTask(tenant, task('support-1', 1));
      await store.enqueueTask(tenant, task('overflow-1', 2, { queueId: 'overflow' }));
      await store.enqueueTask(tenant, task('offered-1', 3, { queueId: 'overflow' }));
      await dispatch.execute(tenant, 'support');
      await dispatch.execute(tenant, 'overflow');
      await store.acceptOffer(tenant, 'support-1', 'ann');
      await store.acceptOffer(tenant, 'overflow-1', 'ann');

      const swept = await store.sweepSilentAgents(tenant, 10, { requeueAssigned: false });

      expect(swept.released.map((released) => released.taskId).sort()).toEqual([
        'offered-1',
        'support-1',
      ]);
      expect(await store.taskState(tenant, 'overflow-1')).toMatchObject({ state: 'assigned' });
      expect(await store.waitingTasks(tenant, 'support', 10)).toEqual(['support-1']);
    });
  });
});
