import type { AssignmentStore } from '../assignment/assignment.store';
import type { RoutingConfigRepository } from './routing-config.repository';
import { eligibleQueues } from './routing-config.schema';
import type { TenantId } from './tenant-id';

/**
 * Rebuilds a tenant's hot routing state in Redis from its durable configuration: queue settings,
 * and for each agent its capacity, skills, languages and the queues its skills qualify it for.
 * Agents that the previous version had and the current one drops lose their capacity and queues,
 * so nothing is offered to them any more. Always projects the newest stored version (not the one a
 * caller just wrote), so two changes racing each other end with the newest in Redis. Idempotent,
 * and leaves presence, load, offers and waiting tasks untouched, so it runs at every start and
 * after every configuration change.
 */
export class ProjectRoutingStateUseCase {
  constructor(
    private readonly repository: RoutingConfigRepository,
    private readonly store: AssignmentStore,
  ) {}

  async execute(tenantId: TenantId): Promise<{ queues: number; agents: number }> {
    const [current, previous] = await this.repository.latest(tenantId, 2);
    if (!current) return { queues: 0, agents: 0 };
    const config = current.config;
    for (const queue of config.queues) {
      await this.store.configureQueue(tenantId, {
        queueId: queue.id,
        channel: queue.channel,
        strategy: queue.strategy,
        offerTtlMs: Math.round(queue.offerTimeoutSeconds * 1000),
        autoAccept: queue.autoAccept,
      });
    }
    for (const agent of config.agents) {
      await this.store.configureAgent(tenantId, {
        agentId: agent.id,
        capacities: agent.capacity,
        skills: agent.skills,
        languages: agent.languages,
        queues: eligibleQueues(agent, config.queues),
      });
    }
    const kept = new Set(config.agents.map((agent) => agent.id));
    for (const removed of previous?.config.agents ?? []) {
      if (kept.has(removed.id)) continue;
      await this.store.configureAgent(tenantId, {
        agentId: removed.id,
        capacities: {},
        skills: {},
        languages: [],
        queues: [],
      });
    }
    return { queues: config.queues.length, agents: config.agents.length };
  }
}
