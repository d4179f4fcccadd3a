import type { RoutingDecisionEvent } from '@switchboard/events';
import type { AssignmentStore } from '../assignment/assignment.store';
import type { Clock, DispatchQueueUseCase } from '../assignment/dispatch-queue.usecase';
import type { TenantRoutingConfig } from '../configuration/routing-config.schema';
import type { TenantId } from '../configuration/tenant-id';
import type { OverMaxWaitReporter } from '../queues/over-max-wait.metrics';
import { describeAppliedStep, queueDynamicsOf } from '../queues/queue-dynamics';
import type { DecisionFactory } from './decision-factory';
import type { DecisionPublisher, TenantConfigSource } from './routing-ports';

export interface MaintainRoutingOptions {
  /** An agent without a heartbeat for this long turns offline. */
  heartbeatTtlMs: number;
  /** Whether an agent going silent also gives back its assigned conversations (not only offers). */
  requeueAssignedOnOffline: boolean;
  /** Receives, per queue with a maximum wait, how many tasks wait longer than it. */
  overMaxWait?: OverMaxWaitReporter;
}

/**
 * The router's clock-driven work, run every tick by every replica (each step is atomic, so
 * replicas can overlap): write every queue's dynamics (open or closed by its business hours,
 * overflow steps, weights) and report tasks over their maximum wait, expire unanswered offers,
 * turn silent agents offline and give their work back, apply the overflow steps that are due, then
 * dispatch every queue so nothing waits while an eligible agent is free (a queue that just opened
 * included).
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

  /** Writes every tenant's queue dynamics once, so that a starting replica never offers outside hours. */
  async prepare(): Promise<void> {
    for (const tenantId of await this.configs.tenants()) {
      const config = await this.configs.get(tenantId);
      if (config) await this.syncQueues(tenantId, config, this.clock.now());
    }
  }

  private async syncQueues(
    tenantId: TenantId,
    config: TenantRoutingConfig,
    now: number,
  ): Promise<void> {
    const overMaxWait = await this.store.syncQueues(
      tenantId,
      now,
      config.queues.map((queue) =>
        queueDynamicsOf(queue, config, now, this.options.requeueAssignedOnOffline),
      ),
    );
    for (const [queueId, tasks] of overMaxWait)
      this.options.overMaxWait?.report(tenantId, queueId, tasks);
  }

  async execute(): Promise<RoutingDecisionEvent[]> {
    const made: RoutingDecisionEvent[] = [];
    for (const tenantId of await this.configs.tenants()) {
      const config = await this.configs.get(tenantId);
      if (!config) continue;
      const now = this.clock.now();
      await this.syncQueues(tenantId, config, now);
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
      for (const applied of await this.store.applyDueSteps(tenantId, now)) {
        const queue = config.queues.find((candidate) => candidate.id === applied.queueId);
        const steps = queue ? queueDynamicsOf(queue, config, now, false).steps : [];
        made.push(
          this.decisions.create({
            tenantId,
            conversationId: applied.taskId,
            queueId: applied.queueId,
            type: 'overflowed',
            at: now,
            reason: describeAppliedStep(applied, steps[applied.step - 1]?.afterMs),
            rules: [`overflow step ${applied.step} of ${steps.length} (${applied.kind})`],
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
