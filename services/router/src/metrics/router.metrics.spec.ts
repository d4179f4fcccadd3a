import type { RoutingDecisionEvent } from '@switchboard/events';
import { createMetricsRegistry } from '@switchboard/metrics';
import { tenantRoutingConfigSchema } from '../configuration/routing-config.schema';
import { toTenantId } from '../configuration/tenant-id';
import { RouterMetrics } from './router.metrics';

const tenant = toTenantId('acme');
const config = tenantRoutingConfigSchema.parse({
  tenant,
  queues: [
    { id: 'chat', channel: 'chat' },
    { id: 'mail', channel: 'email' },
  ],
  agents: [
    { id: 'ann', capacity: { chat: 3, email: 2 } },
    { id: 'bob', capacity: { chat: 2 } },
    { id: 'cid', capacity: { chat: 1 } },
  ],
});

const loads: Record<string, Record<string, number>> = { ann: { chat: 2, email: 1 } };

function setUp() {
  const registry = createMetricsRegistry('router');
  const metrics = new RouterMetrics(
    registry,
    { listTenants: async () => [tenant], loadTenantConfig: async () => config },
    {
      waitingCounts: async (_tenant, queueIds) => queueIds.map((id) => (id === 'chat' ? 4 : 0)),
      agentLoads: async (_tenant, agents) =>
        agents.map(({ agentId }) => ({
          agentId,
          status: agentId === 'cid' ? 'offline' : 'available',
          load: loads[agentId] ?? { chat: 1 },
        })),
    },
  );
  return { registry, metrics };
}

const decision = (type: RoutingDecisionEvent['type'], strategy?: string): RoutingDecisionEvent => ({
  schemaVersion: 1,
  tenantId: tenant,
  decisionId: `${type}-${strategy ?? ''}`,
  conversationId: 'conv-1',
  queueId: 'chat',
  type,
  decidedAt: new Date().toISOString(),
  explanation: { reason: '', rules: [], strategy, candidates: [] },
});

describe('router metrics', () => {
  it('counts offers by how they ended; an auto-assignment is not an accepted offer', async () => {
    const { registry, metrics } = setUp();
    await metrics.publish([
      decision('queued'),
      decision('offered', 'longest_idle'),
      decision('offered', 'longest_idle'),
      decision('offer_declined'),
      decision('offer_expired'),
      decision('assigned'),
      decision('assigned', 'longest_idle'),
    ]);
    const body = await registry.metrics();
    const offers = (outcome: string) =>
      `switchboard_router_offers_total{tenant="acme",queue="chat",outcome="${outcome}",service="router"}`;
    expect(body).toContain(`${offers('sent')} 2`);
    expect(body).toContain(`${offers('rejected')} 1`);
    expect(body).toContain(`${offers('timed_out')} 1`);
    expect(body).toContain(`${offers('accepted')} 1`);
    expect(body).toContain(
      'switchboard_router_decisions_total{tenant="acme",queue="chat",type="assigned",service="router"} 2',
    );
  });

  it('reads waiting tasks, agents by status and capacity in use from the hot state on scrape', async () => {
    const body = await setUp().registry.metrics();
    expect(body).toContain(
      'switchboard_router_waiting_tasks{tenant="acme",queue="chat",service="router"} 4',
    );
    expect(body).toContain(
      'switchboard_router_agents{tenant="acme",status="available",service="router"} 2',
    );
    expect(body).toContain(
      'switchboard_router_agents{tenant="acme",status="offline",service="router"} 1',
    );
    const capacity = (channel: string, kind: string) =>
      `switchboard_router_capacity_units{tenant="acme",channel="${channel}",kind="${kind}",service="router"}`;
    expect(body).toContain(`${capacity('chat', 'in_use')} 4`);
    // Cid is offline: his unit is not online capacity.
    expect(body).toContain(`${capacity('chat', 'online')} 5`);
    expect(body).toContain(`${capacity('email', 'in_use')} 1`);
  });

  it('times routing work and observes logged waits', async () => {
    const { registry, metrics } = setUp();
    expect(await metrics.timeDecision('tick', async () => 'done')).toBe('done');
    await expect(
      metrics.timeDecision('tick', () => Promise.reject(new Error('boom'))),
    ).rejects.toThrow('boom');
    metrics.decisionLogged({
      tenantId: tenant,
      decisionId: 'd',
      conversationId: 'c',
      queueId: 'chat',
      type: 'offered',
      decidedAt: new Date(),
      reason: '',
      rules: [],
      candidates: [],
      waitMs: 42_000,
      partition: 0,
      offset: 1,
    });
    const body = await registry.metrics();
    expect(body).toMatch(
      /switchboard_router_decision_latency_seconds_count\{[^}]*trigger="tick"[^}]*\} 2/,
    );
    expect(body).toMatch(
      /switchboard_router_wait_seconds_bucket\{le="60",[^}]*queue="chat"[^}]*\} 1/,
    );
    expect(body).toMatch(
      /switchboard_router_wait_seconds_bucket\{le="30",[^}]*queue="chat"[^}]*\} 0/,
    );
  });
});
