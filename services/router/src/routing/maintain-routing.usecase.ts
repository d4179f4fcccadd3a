import type { RoutingDecisionEvent } from '@switchboard/events';
import type { AssignmentStore } from '../assignment/assignment.store';
import type { Clock, DispatchQueueUseCase } from '../assignment/dispatch-queue.usecase';
import type { DecisionFactory } from './decision-factory';
import type { DecisionPublisher, TenantConfigSource } from './routing-ports';

export interface MaintainRoutingOptions {
  /** An agent without a heartbeat for this long turns offline. */
  heartbeatTtlMs: number;
  /** Whether an agent going silent also gives back its assigned conversations (not only offers). */
  requeueAssignedOnOffline: boolean;
}

/**
 * The router's clock-driven work, run every tick by every replica (each step is atomic, so
 * replicas can overlap): expire unanswered offers, turn silent agents offline and give their work
 * back, then dispatch every queue so nothing waits while an eligible agent is free.
 */
export class MaintainRoutingUseCase {
  constructor(
    private readonly store: AssignmentStore,
    private readonly dispatch: DispatchQueueUseCase,
    private readonly configs: TenantConfigSource,
    private readonly decisions: DecisionFactory,
    private readonly publisher: DecisionPublisher,
    private readonly clock: Clock,
    private readonly options: MaintainRoutingOptions,
  ) {}

  async execute(): Promise<RoutingDecisionEvent[]> {
    const made: RoutingDecisionEvent[] = [];
    for (const tenantId of await this.configs.tenants()) {
      const config = await this.configs.get(tenantId);
      if (!config) continue;
      const now = this.clock.now();
      for (const expired of await this.store.expireOffers(tenantId, now)) {
        made.push(
          this.decisions.create({
            tenantId,
            conversationId: expired.taskId,
            queueId: expired.queueId,
            type: 'offer_expired',
            agentId: expired.agentId,
            at: now,
            reason:
              'the offer was not answered in time; it will not be offered to this agent again',
          }),
        );
      }
      const swept = await this.store.sweepSilentAgents(
        tenantId,
        now - this.options.heartbeatTtlMs,
        {
          requeueAssigned: this.options.requeueAssignedOnOffline,
        },
      );
      for (const released of swept.released) {
        made.push(
          this.decisions.create({
            tenantId,
            conversationId: released.taskId,
            queueId: released.queueId,
            type: 'requeued',
            agentId: released.agentId,
            at: now,
            reason:
              'the agent went silent and was set offline; the conversation keeps its place in the queue',
          }),
        );
      }
      for (const queue of config.queues) {
        for (const decision of await this.dispatch.execute(tenantId, queue.id)) {
          made.push(this.decisions.fromDispatch(decision, queue.strategy));
        }
      }
    }
    await this.publisher.publish(made);
    return made;
  }
}
