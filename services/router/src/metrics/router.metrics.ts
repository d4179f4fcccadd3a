import type { RoutingDecisionEvent } from '@switchboard/events';
import { Counter, Gauge, Histogram, type MetricsRegistry } from '@switchboard/metrics';
import type { HotStateReader } from '../admin/hot-state.reader';
import type { RoutingConfigRepository } from '../configuration/routing-config.repository';
import type { DecisionLogListener } from '../decision-log/decision-log.consumer';
import type { LoggedDecision } from '../decision-log/decision-log.repository';
import type { DecisionPublisher } from '../routing/routing-ports';

const WAIT_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14_400, 86_400];
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

type ConfigurationReader = Pick<RoutingConfigRepository, 'listTenants' | 'loadTenantConfig'>;
type HotStateFigures = Pick<HotStateReader, 'waitingCounts' | 'agentLoads'>;

/** Gauges of one scrape share one read of Redis. */
const SNAPSHOT_REUSE_MS = 1_000;

interface HotStateSnapshot {
  queues: { tenant: string; queue: string; waiting: number }[];
  agents: {
    tenant: string;
    status: string;
    load: Record<string, number>;
    capacity: Record<string, number>;
  }[];
}

/** Waiting tasks of every configured queue, presence and load of every configured agent. */
async function readSnapshot(
  repository: ConfigurationReader,
  hotState: HotStateFigures,
): Promise<HotStateSnapshot> {
  const snapshot: HotStateSnapshot = { queues: [], agents: [] };
  for (const tenantId of await repository.listTenants()) {
    const config = await repository.loadTenantConfig(tenantId);
    const waiting = await hotState.waitingCounts(
      tenantId,
      config.queues.map((queue) => queue.id),
    );
    config.queues.forEach((queue, index) => {
      snapshot.queues.push({ tenant: tenantId, queue: queue.id, waiting: waiting[index] ?? 0 });
    });
    const loads = await hotState.agentLoads(
      tenantId,
      config.agents.map((agent) => ({ agentId: agent.id, channels: Object.keys(agent.capacity) })),
    );
    loads.forEach((agent, index) => {
      snapshot.agents.push({
        tenant: tenantId,
        status: agent.status,
        load: agent.load,
        capacity: config.agents[index]?.capacity ?? {},
      });
    });
  }
  return snapshot;
}

export type OfferOutcome = 'sent' | 'accepted' | 'rejected' | 'timed_out';

/** The decision that tells an offer's fate, or undefined for decisions that are not about offers. */
export function offerOutcomeOf(decision: RoutingDecisionEvent): OfferOutcome | undefined {
  if (decision.type === 'offered') return 'sent';
  if (decision.type === 'offer_declined') return 'rejected';
  if (decision.type === 'offer_expired') return 'timed_out';
  // An auto-accepted assignment comes from dispatch, with its strategy; an accepted offer comes
  // from the agent's answer, without one.
  if (decision.type === 'assigned' && decision.explanation.strategy === undefined) {
    return 'accepted';
  }
  return undefined;
}

/**
 * Prometheus metrics of the router (`switchboard_router_*`). Counters and histograms count what
 * this replica did (Prometheus sums replicas); the gauges read the shared hot state in Redis on
 * scrape, bounded by the configured queues and agents (a few pipelined reads per tenant), so every
 * replica reports the same figures (aggregate them with max, not sum).
 */
export class RouterMetrics implements DecisionLogListener, DecisionPublisher {
  private readonly waitTime: Histogram;
  private readonly decisionLatency: Histogram;
  private readonly offers: Counter;
  private readonly decisions: Counter;

  constructor(
    registry: MetricsRegistry,
    repository: ConfigurationReader,
    hotState: HotStateFigures,
  ) {
    this.waitTime = new Histogram({
      name: 'switchboard_router_wait_seconds',
      help: 'Time a conversation waited in its queue until it was first offered or assigned (from the decision log, once across replicas)',
      labelNames: ['tenant', 'queue'],
      buckets: WAIT_BUCKETS,
      registers: [registry],
    });
    this.decisionLatency = new Histogram({
      name: 'switchboard_router_decision_latency_seconds',
      help: 'Time to handle a routing trigger: a conversation event, an agent answer or presence change, a maintenance tick',
      labelNames: ['trigger'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
    this.offers = new Counter({
      name: 'switchboard_router_offers_total',
      help: 'Offers sent to agents and how they ended: accepted, rejected, timed out',
      labelNames: ['tenant', 'queue', 'outcome'],
      registers: [registry],
    });
    this.decisions = new Counter({
      name: 'switchboard_router_decisions_total',
      help: 'Routing decisions published, by type',
      labelNames: ['tenant', 'queue', 'type'],
      registers: [registry],
    });

    // One read of the hot state serves all gauges of a scrape.
    let pending: { at: number; snapshot: Promise<HotStateSnapshot> } | undefined;
    const snapshot = (): Promise<HotStateSnapshot> => {
      if (!pending || Date.now() - pending.at > SNAPSHOT_REUSE_MS) {
        pending = { at: Date.now(), snapshot: readSnapshot(repository, hotState) };
      }
      return pending.snapshot;
    };

    new Gauge({
      name: 'switchboard_router_waiting_tasks',
      help: 'Conversations waiting for an agent (not yet offered), per queue',
      labelNames: ['tenant', 'queue'],
      registers: [registry],
      async collect() {
        const { queues } = await snapshot();
        this.reset();
        for (const queue of queues) {
          this.set({ tenant: queue.tenant, queue: queue.queue }, queue.waiting);
        }
      },
    });
    new Gauge({
      name: 'switchboard_router_agents',
      help: 'Configured agents by presence status',
      labelNames: ['tenant', 'status'],
      registers: [registry],
      async collect() {
        const { agents } = await snapshot();
        this.reset();
        const counts = new Map<string, { tenant: string; status: string; count: number }>();
        for (const agent of agents) {
          const key = `${agent.tenant}\u0000${agent.status}`;
          const entry = counts.get(key) ?? { tenant: agent.tenant, status: agent.status, count: 0 };
          entry.count += 1;
          counts.set(key, entry);
        }
        for (const { tenant, status, count } of counts.values())
          this.set({ tenant, status }, count);
      },
    });
    new Gauge({
      name: 'switchboard_router_capacity_units',
      help: 'Agent capacity per channel: in use (offered or assigned work) and configured, of agents not offline',
      labelNames: ['tenant', 'channel', 'kind'],
      registers: [registry],
      async collect() {
        const { agents } = await snapshot();
        this.reset();
        const sums = new Map<
          string,
          { tenant: string; channel: string; used: number; total: number }
        >();
        for (const agent of agents) {
          for (const [channel, capacity] of Object.entries<number>(agent.capacity)) {
            const key = `${agent.tenant}\u0000${channel}`;
            const entry = sums.get(key) ?? { tenant: agent.tenant, channel, used: 0, total: 0 };
            entry.used += agent.load[channel] ?? 0;
            if (agent.status !== 'offline') entry.total += capacity;
            sums.set(key, entry);
          }
        }
        for (const { tenant, channel, used, total } of sums.values()) {
          this.set({ tenant, channel, kind: 'in_use' }, used);
          this.set({ tenant, channel, kind: 'online' }, total);
        }
      },
    });
  }

  decisionLogged(decision: LoggedDecision): void {
    if (decision.waitMs !== undefined) {
      this.waitTime.observe(
        { tenant: decision.tenantId, queue: decision.queueId },
        decision.waitMs / 1000,
      );
    }
  }

  /** Counts what this replica decided (a publisher of every batch of decisions it makes). */
  async publish(decisions: readonly RoutingDecisionEvent[]): Promise<void> {
    for (const decision of decisions) {
      const labels = { tenant: decision.tenantId, queue: decision.queueId };
      this.decisions.inc({ ...labels, type: decision.type });
      const outcome = offerOutcomeOf(decision);
      if (outcome) this.offers.inc({ ...labels, outcome });
    }
  }

  /** Times one routing trigger. */
  async timeDecision<T>(trigger: string, work: () => Promise<T>): Promise<T> {
    const end = this.decisionLatency.startTimer({ trigger });
    try {
      return await work();
    } finally {
      end();
    }
  }
}

export const ROUTER_METRICS = Symbol('ROUTER_METRICS');
