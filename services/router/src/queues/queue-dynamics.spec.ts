import {
  eligibleQueues,
  parseRoutingConfig,
  type TenantRoutingConfig,
} from '../configuration/routing-config.schema';
import { describeAppliedStep, queueDynamicsOf } from './queue-dynamics';

const tenantWith = (extra: Record<string, unknown>, queues: unknown[]): TenantRoutingConfig =>
  parseRoutingConfig({
    tenants: [{ tenant: 'acme', skills: ['billing', 'tech'], queues, ...extra }],
  }).tenants[0]!;

const problems = (extra: Record<string, unknown>, queues: unknown[]): string => {
  try {
    tenantWith(extra, queues);
    return '';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
};

describe('queue dynamics configuration', () => {
  const billing = {
    id: 'billing',
    channel: 'chat',
    requiredSkills: { billing: 7, tech: 2 },
    businessHours: {
      timeZone: 'Europe/Berlin',
      weekly: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], open: '09:00', close: '17:00' }],
    },
    overflow: [
      { afterSeconds: 60, minProficiencyDelta: 2 },
      { afterSeconds: 120, raisePriorityBy: 1 },
      { afterSeconds: 300, overflowQueues: ['general'] },
      { afterSeconds: 600, dropLanguage: true },
    ],
    maxWaitSeconds: 900,
    unitsPerTask: 2,
    prioritySeconds: 120,
    preferPreviousAgentSeconds: 3600,
    requeueAssignedOnOffline: true,
  };
  const general = { id: 'general', channel: 'chat' };

  it('fills defaults that change nothing for a queue that does not use them', () => {
    const config = tenantWith({}, [general]);
    expect(config.queues[0]).toMatchObject({
      overflow: [],
      prioritySeconds: 600,
      preferPreviousAgentSeconds: 0,
    });
    expect(queueDynamicsOf(config.queues[0]!, config, 0, false)).toEqual({
      queueId: 'general',
      closed: false,
      steps: [],
      relaxableSkills: undefined,
      unitsPerTask: undefined,
      priorityStepMs: 600_000,
      preferPreviousMs: 0,
      requeueAssignedOnOffline: false,
      maxWaitMs: undefined,
    });
  });

  it('turns a queue’s settings into what the Lua core applies, catch-all last', () => {
    const config = tenantWith({ catchAll: { queue: 'general', afterSeconds: 450 } }, [
      billing,
      general,
    ]);
    // Monday 5 January 2026, 10:00 in Berlin: open; 18:00: closed.
    const morning = Date.parse('2026-01-05T09:00:00Z');
    const evening = Date.parse('2026-01-05T17:00:00Z');
    const dynamics = queueDynamicsOf(config.queues[0]!, config, morning, false);
    expect(dynamics).toEqual({
      queueId: 'billing',
      closed: false,
      steps: [
        { afterMs: 60_000, kind: 'relax', delta: 2 },
        { afterMs: 120_000, kind: 'raisePriority', raiseBy: 1 },
        { afterMs: 300_000, kind: 'widen', queues: ['general'] },
        { afterMs: 600_000, kind: 'dropLanguage' },
        // The catch-all never comes before the queue's own last step.
        { afterMs: 600_000, kind: 'widen', queues: ['general'] },
      ],
      relaxableSkills: { billing: 7, tech: 2 },
      unitsPerTask: 2,
      priorityStepMs: 120_000,
      preferPreviousMs: 3_600_000,
      requeueAssignedOnOffline: true,
      maxWaitMs: 900_000,
    });
    expect(queueDynamicsOf(config.queues[0]!, config, evening, false).closed).toBe(true);
    // The catch-all queue does not widen to itself.
    expect(queueDynamicsOf(config.queues[1]!, config, morning, true)).toMatchObject({
      steps: [],
      requeueAssignedOnOffline: true,
    });
  });

  it('admits agents at the fully relaxed levels to a relaxing queue', () => {
    const config = tenantWith({}, [billing, general]);
    // billing 7 relaxed by 2 → 5; tech 2 relaxed by 2 → no longer required.
    expect(eligibleQueues({ skills: { billing: 5 } }, config.queues)).toEqual([
      'billing',
      'general',
    ]);
    expect(eligibleQueues({ skills: { billing: 4, tech: 9 } }, config.queues)).toEqual(['general']);
  });

  it('names the field of every problem', () => {
    const message = problems({ catchAll: { queue: 'nowhere', afterSeconds: 60 } }, [
      {
        ...billing,
        overflow: [
          { afterSeconds: 120, overflowQueues: ['missing'] },
          { afterSeconds: 60, dropLanguage: true },
          { afterSeconds: 90, dropLanguage: true, raisePriorityBy: 2 },
          { afterSeconds: 100 },
          { afterSeconds: -1, minProficiencyDelta: 12 },
        ],
        unitsPerTask: 0,
      },
      general,
    ]);
    expect(message).toContain('tenants.0.queues.0.overflow.2: a step needs exactly one of');
    expect(message).toContain('(found dropLanguage, raisePriorityBy)');
    expect(message).toContain('tenants.0.queues.0.overflow.3: a step needs exactly one of');
    expect(message).toContain(
      'tenants.0.queues.0.overflow.4.afterSeconds: afterSeconds must be positive',
    );
    expect(message).toContain(
      'tenants.0.queues.0.overflow.4.minProficiencyDelta: minProficiencyDelta must be between 1 and 9',
    );
    expect(message).toContain(
      'tenants.0.queues.0.unitsPerTask: unitsPerTask must be between 1 and 100',
    );
  });

  it('checks overflow targets, the catch-all and the order of steps', () => {
    const message = problems({ catchAll: { queue: 'nowhere', afterSeconds: 60 } }, [
      {
        ...billing,
        overflow: [
          { afterSeconds: 120, overflowQueues: ['missing'] },
          { afterSeconds: 60, dropLanguage: true },
        ],
      },
      general,
    ]);
    expect(message).toContain(
      'tenants.0.queues.0.overflow.0.overflowQueues.0: unknown queue "missing"',
    );
    expect(message).toContain(
      'tenants.0.queues.0.overflow.1.afterSeconds: steps must be in waiting order (60 comes after 120)',
    );
    expect(message).toContain('tenants.0.catchAll.queue: unknown queue "nowhere"');
  });
});

describe('overflow explanations', () => {
  it('says what the step did and after how long', () => {
    const applied = { taskId: 't', queueId: 'q', step: 1 };
    expect(describeAppliedStep({ ...applied, kind: 'relax', detail: '4' }, 120_000)).toBe(
      'waited over 120 s: required skill levels relaxed by 4 in total',
    );
    expect(describeAppliedStep({ ...applied, kind: 'widen', detail: 'a,b' }, 60_000)).toBe(
      'waited over 60 s: widened to queue a, b',
    );
    expect(describeAppliedStep({ ...applied, kind: 'dropLanguage', detail: 'de' }, 60_000)).toBe(
      'waited over 60 s: language de no longer required',
    );
    expect(describeAppliedStep({ ...applied, kind: 'raisePriority', detail: '3' }, undefined)).toBe(
      'waited long enough: priority raised to 3',
    );
  });
});
