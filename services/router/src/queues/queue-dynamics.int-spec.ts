import type { RoutingDecisionEvent } from '@switchboard/events';
import { createMetricsRegistry, type MetricsRegistry } from '@switchboard/metrics';
import {
  closeRedisConnection,
  openRedisConnection,
  type RedisClient,
  waitForRedisReady,
} from '@switchboard/redis';
import { createTestContext } from '@switchboard/testing';
import { AssignmentStore } from '../assignment/assignment.store';
import { DispatchQueueUseCase } from '../assignment/dispatch-queue.usecase';
import {
  eligibleQueues,
  parseRoutingConfig,
  type TenantRoutingConfig,
} from '../configuration/routing-config.schema';
import { type TenantId, toTenantId } from '../configuration/tenant-id';
import { DecisionFactory } from '../routing/decision-factory';
import { MaintainRoutingUseCase } from '../routing/maintain-routing.usecase';
import { OVER_MAX_WAIT_METRIC, PrometheusOverMaxWaitReporter } from './over-max-wait.metrics';

const MINUTE = 60_000;
// Monday 5 January 2026, 08:00 in Berlin (07:00 UTC): the support queue opens at 09:00.
const MONDAY_0800_BERLIN = Date.parse('2026-01-05T07:00:00Z');

/**
 * The maintenance tick on real Redis: business hours close and open a queue, overflow steps fire
 * as tasks age (once, with several replicas ticking at the same moment) and are published as
 * `overflowed` decisions, tasks over their maximum wait reach the Prometheus gauge, and offers
 * carry their candidates.
 */
describe('maintenance tick: business hours, overflow and max wait (real Redis)', () => {
  const context = createTestContext('router-queue-tick');
  const clock = { current: MONDAY_0800_BERLIN, now: () => clock.current };
  const published: RoutingDecisionEvent[] = [];
  const publisher = {
    publish: async (decisions: readonly RoutingDecisionEvent[]) =>
      void published.push(...decisions),
  };
  let redis: RedisClient[] = [];
  let stores: AssignmentStore[] = [];
  let registry: MetricsRegistry;
  let counter = 0;
  let tenant: TenantId;

  beforeAll(async () => {
    for (let index = 0; index < 3; index += 1) {
      const client = openRedisConnection({
        url: context.stack.redisUrl,
        keyPrefix: context.redisKeyPrefix,
      });
      await waitForRedisReady(client);
      redis.push(client);
    }
    stores = redis.map((client) => new AssignmentStore(client));
  });

  afterAll(async () => {
    await Promise.all(redis.map((client) => closeRedisConnection(client)));
    redis = [];
  });

  beforeEach(() => {
    counter += 1;
    tenant = toTenantId(`${context.tenantId}-${counter}`);
    clock.current = MONDAY_0800_BERLIN;
    published.length = 0;
    registry = createMetricsRegistry('router-test');
  });

  /** Projects the configuration as the router does, and returns one tick use case per replica. */
  const setUp = async (document: Record<string, unknown>): Promise<MaintainRoutingUseCase[]> => {
    const config: TenantRoutingConfig = parseRoutingConfig({
      tenants: [{ tenant, ...document }],
    }).tenants[0]!;
    const store = stores[0]!;
    for (const queue of config.queues) {
      await store.configureQueue(tenant, {
        queueId: queue.id,
        channel: queue.channel,
        strategy: queue.strategy,
        offerTtlMs: queue.offerTimeoutSeconds * 1000,
        autoAccept: queue.autoAccept,
      });
    }
    for (const agent of config.agents) {
      await store.configureAgent(tenant, {
        agentId: agent.id,
        capacities: agent.capacity,
        skills: agent.skills,
        languages: agent.languages,
        queues: eligibleQueues(agent, config.queues),
      });
    }
    const configs = { get: async () => config, tenants: async () => [tenant] };
    let ids = 0;
    const decisions = new DecisionFactory({ next: () => `decision-${(ids += 1)}` });
    const overMaxWait = new PrometheusOverMaxWaitReporter(registry);
    return stores.map(
      (replicaStore) =>
        new MaintainRoutingUseCase(
          replicaStore,
          new DispatchQueueUseCase(replicaStore, clock),
          configs,
          decisions,
          publisher,
          clock,
          { heartbeatTtlMs: 365 * 24 * 60 * MINUTE, requeueAssignedOnOffline: false, overMaxWait },
        ),
    );
  };

  const enqueue = async (taskId: string, queueId: string, enqueuedAt: number, language = '') => {
    await stores[0]!.enqueueTask(tenant, {
      taskId,
      queueId,
      channel: 'chat',
      units: 1,
      language,
      requiredSkills: {},
      priority: 1,
      enqueuedAt,
    });
  };

  const ofType = (type: RoutingDecisionEvent['type']) =>
    published.filter((decision) => decision.type === type);

  it('keeps a closed queue’s tasks waiting and offers them on the first tick after it opens', async () => {
    const [maintain] = await setUp({
      queues: [
        {
          id: 'support',
          channel: 'chat',
          businessHours: {
            timeZone: 'Europe/Berlin',
            weekly: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], open: '09:00', close: '17:00' }],
          },
        },
      ],
      agents: [
        { id: 'ann', capacity: { chat: 1 } },
        { id: 'bob', capacity: { chat: 0 } },
      ],
    });
    await maintain!.prepare();
    await stores[0]!.setStatus(tenant, 'ann', 'available', clock.current, {
      requeueAssigned: false,
    });
    await enqueue('early-bird', 'support', clock.current);
    // The arrival path (any dispatch) offers nothing before opening time.
    expect(await new DispatchQueueUseCase(stores[0]!, clock).execute(tenant, 'support')).toEqual(
      [],
    );
    clock.current += 59 * MINUTE;
    expect(await maintain!.execute()).toEqual([]);

    clock.current += MINUTE; // 09:00 in Berlin
    const made = await maintain!.execute();

    expect(made).toHaveLength(1);
    expect(made[0]).toMatchObject({
      type: 'offered',
      conversationId: 'early-bird',
      agentId: 'ann',
      explanation: {
        candidates: [
          {
            agentId: 'ann',
            chosen: true,
            reason:
              'longest idle ready agent with the skills, language and free capacity, who had not declined it',
          },
        ],
      },
    });
  });

  it('applies overflow steps as tasks age, once across three replicas, then the catch-all', async () => {
    const replicas = await setUp({
      skills: ['billing'],
      queues: [
        {
          id: 'billing',
          channel: 'chat',
          requiredSkills: { billing: 8 },
          overflow: [
            { afterSeconds: 60, minProficiencyDelta: 3 },
            { afterSeconds: 120, dropLanguage: true },
          ],
        },
        { id: 'anyone', channel: 'chat' },
      ],
      catchAll: { queue: 'anyone', afterSeconds: 300 },
      agents: [
        { id: 'expert', skills: { billing: 9 }, languages: ['fr'], capacity: { chat: 1 } },
        { id: 'junior', skills: { billing: 5 }, capacity: { chat: 1 } },
      ],
    });
    const [first] = replicas;
    await first!.prepare();
    // The expert is busy elsewhere; the junior qualifies only after relaxing.
    await stores[0]!.setStatus(tenant, 'junior', 'available', clock.current, {
      requeueAssigned: false,
    });
    await enqueue('t1', 'billing', clock.current, 'de');

    const tickAll = async () =>
      (await Promise.all(replicas.map((replica) => replica.execute()))).flat();

    expect(await tickAll()).toEqual([]);
    clock.current += 60_000;
    const afterMinute = await tickAll();
    expect(afterMinute.map((decision) => decision.type)).toEqual(['overflowed']);
    expect(afterMinute[0]).toMatchObject({
      conversationId: 't1',
      queueId: 'billing',
      explanation: {
        reason: 'waited over 60 s: required skill levels relaxed by 3 in total',
        rules: ['overflow step 1 of 3 (relax)'],
      },
    });

    clock.current += 60_000;
    const afterTwoMinutes = await tickAll();
    // Language dropped, so the (relaxed) junior gets it in the same round of ticks.
    expect(
      afterTwoMinutes.map((decision) => [decision.type, decision.agentId ?? '']).sort(),
    ).toEqual([
      ['offered', 'junior'],
      ['overflowed', ''],
    ]);
    expect(
      afterTwoMinutes.find((decision) => decision.type === 'overflowed')!.explanation.reason,
    ).toBe('waited over 120 s: language de no longer required');

    // Declined: back in the queue with its age, the catch-all step is due at 5 minutes.
    await stores[1]!.declineOffer(tenant, 't1', 'junior');
    clock.current += 3 * MINUTE;
    const atFiveMinutes = await tickAll();
    expect(atFiveMinutes.map((decision) => decision.type)).toEqual(['overflowed']);
    expect(atFiveMinutes[0]!.explanation).toMatchObject({
      reason: 'waited over 300 s: widened to queue anyone',
      rules: ['overflow step 3 of 3 (widen)'],
    });
    expect(await stores[0]!.waitingTasks(tenant, 'anyone', 10)).toEqual(['t1']);
    // Every step fired once in all, although three replicas ticked each time.
    expect(ofType('overflowed')).toHaveLength(3);
  });

  it('offers a returning conversation to its previous agent and says so in the decision', async () => {
    const [maintain] = await setUp({
      queues: [{ id: 'support', channel: 'chat', preferPreviousAgentSeconds: 600 }],
      agents: [
        { id: 'prev', capacity: { chat: 2 } },
        { id: 'other', capacity: { chat: 2 } },
      ],
    });
    await maintain!.prepare();
    const store = stores[0]!;
    await store.setStatus(tenant, 'prev', 'available', clock.current, { requeueAssigned: false });
    await enqueue('c1', 'support', clock.current);
    await maintain!.execute();
    expect(await store.acceptOffer(tenant, 'c1', 'prev')).toBe(true);
    await store.completeTask(tenant, 'c1');
    // other has been idle longer than prev, so the ready index alone would choose other.
    await store.setStatus(tenant, 'other', 'available', clock.current - MINUTE, {
      requeueAssigned: false,
    });
    published.length = 0;

    clock.current += MINUTE;
    await enqueue('c1', 'support', clock.current);
    await maintain!.execute();

    expect(ofType('offered')).toMatchObject([
      {
        conversationId: 'c1',
        agentId: 'prev',
        explanation: {
          reason: 'handled this conversation last and is available with free capacity',
          rules: ['previous agent preferred'],
          candidates: [
            {
              agentId: 'prev',
              chosen: true,
              reason: 'handled this conversation last and is available with free capacity',
            },
          ],
        },
      },
    ]);
  });

  it('counts tasks over the queue’s maximum wait in the gauge, down again once offered', async () => {
    const [maintain] = await setUp({
      queues: [{ id: 'slow', channel: 'chat', maxWaitSeconds: 120 }],
      agents: [{ id: 'ann', capacity: { chat: 1 } }],
    });
    await enqueue('old', 'slow', clock.current - 5 * MINUTE);
    await enqueue('fresh', 'slow', clock.current);
    const gauge = async (): Promise<number | undefined> => {
      const metric = registry.getSingleMetric(OVER_MAX_WAIT_METRIC);
      const values = (await metric?.get())?.values ?? [];
      return values.find(
        (value) => value.labels['tenant'] === tenant && value.labels['queue'] === 'slow',
      )?.value;
    };

    await maintain!.execute();
    expect(await gauge()).toBe(1);

    clock.current += 3 * MINUTE;
    await maintain!.execute();
    expect(await gauge()).toBe(2);

    await stores[0]!.setStatus(tenant, 'ann', 'available', clock.current, {
      requeueAssigned: false,
    });
    // The gauge is read at the start of a tick, before its dispatch: one tick later it follows.
    await maintain!.execute();
    await maintain!.execute();
    expect(await gauge()).toBe(1);
    expect(
      (await registry.metrics()).includes(
        `${OVER_MAX_WAIT_METRIC}{tenant="${tenant}",queue="slow"`,
      ),
    ).toBe(true);
  });
});
