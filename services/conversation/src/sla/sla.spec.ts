import { overdueTargets } from './check-sla-breaches.usecase';
import { DEFAULT_SLA_TARGETS, SlaPolicy } from './sla-policy';

describe('SlaPolicy', () => {
  it('defaults first-response targets by channel: email 1 h, chat 1 min, social 1 h', () => {
    const policy = new SlaPolicy();
    const at = (channel: 'email' | 'chat' | 'whatsapp') =>
      policy.targetsFor({ tenantId: 't', channel, priority: 'normal' }).firstResponseMs;
    expect([at('email'), at('chat'), at('whatsapp')]).toEqual([3_600_000, 60_000, 3_600_000]);
  });

  it('lets the most specific rule win: tenant < tenant + queue < tenant + queue + priority', () => {
    const policy = new SlaPolicy([
      { tenantId: 't', queueId: 'vip', priority: 'urgent', targets: { firstResponseMs: 60_000 } },
      { tenantId: 't', targets: { firstResponseMs: 1_800_000, resolutionMs: 7_200_000 } },
      { tenantId: 't', queueId: 'vip', targets: { firstResponseMs: 600_000 } },
    ]);
    const targets = (queueId: string | undefined, priority: 'normal' | 'urgent') =>
      policy.targetsFor({ tenantId: 't', channel: 'email', queueId, priority });
    expect(targets(undefined, 'normal').firstResponseMs).toBe(1_800_000);
    expect(targets('vip', 'normal').firstResponseMs).toBe(600_000);
    expect(targets('vip', 'urgent')).toEqual({
      firstResponseMs: 60_000,
      nextResponseMs: DEFAULT_SLA_TARGETS.email.nextResponseMs,
      resolutionMs: 7_200_000,
    });
    expect(policy.targetsFor({ tenantId: 'other', channel: 'email', priority: 'normal' })).toEqual(
      DEFAULT_SLA_TARGETS.email,
    );
  });
});

describe('overdueTargets', () => {
  const now = new Date('2026-11-25T12:00:00.000Z');

  it('reports each overdue target once and stops its clock', () => {
    const { breached, sla } = overdueTargets(
      {
        firstResponseDueAt: new Date('2026-11-25T11:00:00.000Z'),
        nextResponseDueAt: new Date('2026-11-25T13:00:00.000Z'),
        resolutionDueAt: now,
        breached: [],
      },
      now,
    );
    expect(breached).toEqual(['first_response', 'resolution']);
    expect(sla.firstResponseDueAt).toBeUndefined();
    expect(sla.resolutionDueAt).toBeUndefined();
    expect(sla.nextResponseDueAt).toEqual(new Date('2026-11-25T13:00:00.000Z'));
    expect(overdueTargets(sla, now).breached).toEqual([]);
  });
});
