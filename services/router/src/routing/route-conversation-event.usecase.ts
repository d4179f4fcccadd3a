import type { ConversationEvent, PriorityName, RoutingDecisionEvent } from '@switchboard/events';
import type { AssignmentStore } from '../assignment/assignment.store';
import type { Clock, DispatchQueueUseCase } from '../assignment/dispatch-queue.usecase';
import type { QueueConfig, TenantRoutingConfig } from '../configuration/routing-config.schema';
import { toTenantId } from '../configuration/tenant-id';
import type { DecisionFactory } from './decision-factory';
import type { DecisionPublisher, TenantConfigSource } from './routing-ports';

export class NoRoutingConfigurationError extends Error {
  constructor(tenantId: string) {
    super(`tenant ${tenantId} has no routing configuration`);
    this.name = 'NoRoutingConfigurationError';
  }
}

export class NoQueueForConversationError extends Error {
  constructor(tenantId: string, channel: string) {
    super(`tenant ${tenantId} has no queue for channel ${channel} and no default queue`);
    this.name = 'NoQueueForConversationError';
  }
}

const PRIORITY_RANK: Record<PriorityName, number> = { low: 0, normal: 1, high: 2, urgent: 3 };

/** The queue for a conversation, and the rule that chose it (for the decision's explanation). */
export function selectQueue(
  config: TenantRoutingConfig,
  conversation: ConversationEvent['conversation'],
): { queue: QueueConfig; rule: string } | undefined {
  const byId = (id: string | undefined) => config.queues.find((queue) => queue.id === id);
  const kept = byId(conversation.queueId);
  if (kept) return { queue: kept, rule: `conversation already in queue ${kept.id}` };
  const byChannel = byId(config.queueSelection.byChannel[conversation.channel]);
  if (byChannel)
    return { queue: byChannel, rule: `channel ${conversation.channel} → queue ${byChannel.id}` };
  const fallback = byId(config.queueSelection.defaultQueue);
  return fallback ? { queue: fallback, rule: `default queue ${fallback.id}` } : undefined;
}

/**
 * Turns a conversation event into routing work. An open, unassigned conversation that needs an
 * agent becomes a waiting task in its queue and the queue is dispatched; a resolved, pending or
 * snoozed one ends its task, which frees the agent's capacity and pulls the next task. Redelivered
 * events change nothing: enqueueing an active task and completing a finished one are no-ops.
 */
export class RouteConversationEventUseCase {
  constructor(
    private readonly store: AssignmentStore,
    private readonly dispatch: DispatchQueueUseCase,
    private readonly configs: TenantConfigSource,
    private readonly decisions: DecisionFactory,
    private readonly publisher: DecisionPublisher,
    private readonly clock: Clock,
  ) {}

  async execute(event: ConversationEvent): Promise<RoutingDecisionEvent[]> {
    const tenantId = toTenantId(event.tenantId);
    const config = await this.configs.get(tenantId);
    if (!config) throw new NoRoutingConfigurationError(event.tenantId);
    const { conversation } = event;
    const made: RoutingDecisionEvent[] = [];

    if (conversation.status !== 'open') {
      const { queueId } = await this.store.completeTask(tenantId, event.conversationId);
      if (queueId) {
        made.push(
          this.decisions.create({
            tenantId,
            conversationId: event.conversationId,
            queueId,
            type: 'completed',
            at: this.clock.now(),
            reason: `conversation is ${conversation.status}; its capacity is free again`,
          }),
        );
        made.push(...(await this.dispatchQueue(config, queueId)));
      }
    } else if (event.triggersRouting && !conversation.assigneeId) {
      const selected = selectQueue(config, conversation);
      if (!selected) throw new NoQueueForConversationError(event.tenantId, conversation.channel);
      const outcome = await this.store.enqueueTask(tenantId, {
        taskId: event.conversationId,
        queueId: selected.queue.id,
        channel: selected.queue.channel,
        units: 1,
        language: '',
        requiredSkills: {},
        priority: PRIORITY_RANK[conversation.priority],
        enqueuedAt: Date.parse(event.occurredAt),
      });
      if (outcome === 'enqueued') {
        made.push(
          this.decisions.create({
            tenantId,
            conversationId: event.conversationId,
            queueId: selected.queue.id,
            type: 'queued',
            at: this.clock.now(),
            reason: `${event.type} needs an agent`,
            rules: [selected.rule, `priority ${conversation.priority}`],
          }),
        );
      }
      made.push(...(await this.dispatchQueue(config, selected.queue.id)));
    }

    await this.publisher.publish(made);
    return made;
  }

  private async dispatchQueue(
    config: TenantRoutingConfig,
    queueId: string,
  ): Promise<RoutingDecisionEvent[]> {
    const strategy =
      config.queues.find((queue) => queue.id === queueId)?.strategy ?? 'longest_idle';
    const dispatched = await this.dispatch.execute(config.tenant, queueId);
    return dispatched.map((decision) => this.decisions.fromDispatch(decision, strategy));
  }
}
