import type { ConversationEvent, PriorityName, RoutingDecisionEvent } from '@switchboard/events';
import type { AssignmentStore } from '../assignment/assignment.store';
import type { Clock, DispatchQueueUseCase } from '../assignment/dispatch-queue.usecase';
import type { Classification, ConversationClassifier } from '../classification/classify';
import { classificationInputOf } from '../classification/classification-input';
import {
  eligibleQueues,
  type QueueConfig,
  type TenantRoutingConfig,
} from '../configuration/routing-config.schema';
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

/**
 * The queue for a conversation, and the rule that chose it (for the decision's explanation): the
 * queue it is already in, else its topic's queue, else its channel's, else the default queue.
 */
export function selectQueue(
  config: TenantRoutingConfig,
  conversation: ConversationEvent['conversation'],
  classification?: Pick<Classification, 'topic' | 'queueId'>,
): { queue: QueueConfig; rule: string } | undefined {
  const byId = (id: string | undefined) => config.queues.find((queue) => queue.id === id);
  const kept = byId(conversation.queueId);
  if (kept) return { queue: kept, rule: `conversation already in queue ${kept.id}` };
  const byTopic = byId(classification?.queueId);
  if (byTopic)
    return { queue: byTopic, rule: `topic ${classification?.topic} → queue ${byTopic.id}` };
  const byChannel = byId(config.queueSelection.byChannel[conversation.channel]);
  if (byChannel)
    return { queue: byChannel, rule: `channel ${conversation.channel} → queue ${byChannel.id}` };
  const fallback = byId(config.queueSelection.defaultQueue);
  return fallback ? { queue: fallback, rule: `default queue ${fallback.id}` } : undefined;
}

/**
 * What a task asks of its agent beyond the queue: the topic's skills, unless the conversation
 * stays in another queue than the topic's; and the detected language, but only when at least one
 * agent of the queue (with those skills and capacity on its channel) speaks it, so that no task
 * waits forever for a language nobody in its queue speaks.
 */
export function taskRequirements(
  config: TenantRoutingConfig,
  queue: QueueConfig,
  classification: Classification,
): { language: string; requiredSkills: Record<string, number>; rules: string[] } {
  const rules: string[] = [];
  let requiredSkills: Record<string, number> = {};
  const skillList = Object.entries(classification.requiredSkills);
  if (classification.topic !== undefined && skillList.length > 0) {
    if (classification.queueId === undefined || classification.queueId === queue.id) {
      requiredSkills = classification.requiredSkills;
      rules.push(
        `skills ${skillList.map(([skill, level]) => `${skill} ≥ ${level}`).join(', ')} ← topic ${classification.topic}`,
      );
    } else {
      rules.push(
        `skills of topic ${classification.topic} not required: the conversation stays in queue ${queue.id}`,
      );
    }
  }
  let language = '';
  if (classification.language !== undefined) {
    const servingAgents = config.agents.filter(
      (agent) =>
        eligibleQueues(agent, [queue]).length > 0 &&
        (agent.capacity[queue.channel] ?? 0) > 0 &&
        Object.entries(requiredSkills).every(
          ([skill, level]) => (agent.skills[skill] ?? 0) >= level,
        ),
    );
    const speakers = servingAgents.filter((agent) =>
      agent.languages.includes(classification.language ?? ''),
    );
    if (speakers.length > 0) {
      language = classification.language;
      rules.push(
        `language ${language} required: spoken by ${speakers.length} of ${servingAgents.length} agents able to serve it in queue ${queue.id}`,
      );
    } else {
      rules.push(
        `language ${classification.language} detected; no agent of queue ${queue.id} speaks it, not required`,
      );
    }
  }
  return { language, requiredSkills, rules };
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
    private readonly classifier: ConversationClassifier,
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
      // Classified on every routing event, but only the first, which enqueues the task, counts:
      // enqueueing a task that is already waiting, offered or assigned changes nothing.
      const classification = this.classifier.classify(classificationInputOf(event), config);
      const selected = selectQueue(config, conversation, classification);
      if (!selected) throw new NoQueueForConversationError(event.tenantId, conversation.channel);
      const requirements = taskRequirements(config, selected.queue, classification);
      const outcome = await this.store.enqueueTask(tenantId, {
        taskId: event.conversationId,
        queueId: selected.queue.id,
        channel: selected.queue.channel,
        units: 1,
        language: requirements.language,
        requiredSkills: requirements.requiredSkills,
        priority: PRIORITY_RANK[classification.priority],
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
            rules: [selected.rule, ...classification.rulesFired, ...requirements.rules],
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
