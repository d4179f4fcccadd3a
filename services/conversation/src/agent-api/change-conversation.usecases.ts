import { FailedPreconditionError } from '@switchboard/grpc-kit';
import type { ConversationChanger } from '../conversations/conversation-change.service';
import type { Conversation, ConversationStatus } from '../conversations/conversation.model';
import type { ConversationRepository } from '../persistence/conversation.repository';
import type { SlaPolicy } from '../sla/sla-policy';
import type {
  AssignCommand,
  SetPriorityCommand,
  SetTagsCommand,
  SnoozeCommand,
  StatusCommand,
} from './agent-commands';
import { loadWritableConversation, tenantOf } from './conversation-access';

/**
 * The small state changes agents make. Each is one use case class; they share this file because
 * each is a few lines over ConversationChanger (read, decide, atomic write with events, flush).
 */

abstract class AgentChange {
  constructor(
    protected readonly conversations: ConversationRepository,
    protected readonly changer: ConversationChanger,
  ) {}

  protected async ensureVisible(command: {
    principal: StatusCommand['principal'];
    conversationId: string;
  }) {
    await loadWritableConversation(this.conversations, command.principal, command.conversationId);
  }
}

export class SetTagsUseCase extends AgentChange {
  async execute(command: SetTagsCommand): Promise<Conversation> {
    await this.ensureVisible(command);
    return this.changer.change(tenantOf(command.principal), command.conversationId, (current) =>
      sameTags(current.tags, command.tags)
        ? { unchanged: true }
        : {
            patch: { tags: command.tags },
            events: [
              {
                type: 'tags_changed',
                actor: { kind: 'agent', id: command.principal.agentId },
                triggersRouting: false,
                data: { tags: command.tags.join(',') },
              },
            ],
          },
    );
  }
}

function sameTags(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((tag) => b.includes(tag));
}

export class SetPriorityUseCase extends AgentChange {
  constructor(
    conversations: ConversationRepository,
    changer: ConversationChanger,
    private readonly sla: SlaPolicy,
  ) {
    super(conversations, changer);
  }

  async execute(command: SetPriorityCommand): Promise<Conversation> {
    await this.ensureVisible(command);
    const priority = command.priority ?? 'normal';
    return this.changer.change(tenantOf(command.principal), command.conversationId, (current) =>
      current.priority === priority
        ? { unchanged: true }
        : {
            // Another priority may have other SLA targets: running clocks follow them.
            patch: { priority, sla: this.sla.clocksAfterMove(current, current.queueId, priority) },
            events: [
              {
                type: 'priority_changed',
                actor: { kind: 'agent', id: command.principal.agentId },
                triggersRouting: true,
                data: { previousPriority: current.priority, priority },
              },
            ],
          },
    );
  }
}

/** Assign to an agent, transfer to another queue or agent, or send back to a queue (reason required). */
export class AssignConversationUseCase extends AgentChange {
  constructor(
    conversations: ConversationRepository,
    changer: ConversationChanger,
    private readonly sla: SlaPolicy,
  ) {
    super(conversations, changer);
  }

  async execute(command: AssignCommand): Promise<Conversation> {
    await this.ensureVisible(command);
    return this.changer.change(tenantOf(command.principal), command.conversationId, (current) => {
      const queueId = command.queueId ?? current.queueId;
      const assigneeId = command.assigneeId;
      if (current.queueId === queueId && current.assigneeId === assigneeId)
        return { unchanged: true };
      return {
        patch: {
          queueId,
          assigneeId,
          sla: this.sla.clocksAfterMove(current, queueId, current.priority),
        },
        events: [
          {
            type: 'assigned',
            actor: { kind: 'agent', id: command.principal.agentId },
            // Back to a queue without an agent: the router must find one.
            triggersRouting: assigneeId === undefined,
            data: {
              reason: command.reason,
              previousQueueId: current.queueId ?? '',
              previousAssigneeId: current.assigneeId ?? '',
              queueId: queueId ?? '',
              assigneeId: assigneeId ?? '',
            },
          },
        ],
      };
    });
  }
}

function statusChange(
  current: Conversation,
  status: ConversationStatus,
  agentId: string,
  extra: Record<string, string> = {},
) {
  return {
    type: 'status_changed' as const,
    actor: { kind: 'agent' as const, id: agentId },
    triggersRouting: status === 'open',
    data: { previousStatus: current.status, status, ...extra },
  };
}

export class ResolveConversationUseCase extends AgentChange {
  async execute(command: StatusCommand): Promise<Conversation> {
    await this.ensureVisible(command);
    return this.changer.change(
      tenantOf(command.principal),
      command.conversationId,
      (current, now) => {
        if (current.status === 'resolved') return { unchanged: true };
        const firstContactResolution = current.agentReplyCount <= 1 && current.reopenCount === 0;
        return {
          patch: {
            status: 'resolved',
            snoozedUntil: undefined,
            awaitingReplySince: undefined,
            sla: {
              ...current.sla,
              resolvedAt: now,
              firstResponseDueAt: undefined,
              nextResponseDueAt: undefined,
              resolutionDueAt: undefined,
            },
          },
          events: [
            statusChange(current, 'resolved', command.principal.agentId, {
              resolutionMs: String(now.getTime() - current.createdAt.getTime()),
              firstContactResolution: String(firstContactResolution),
            }),
          ],
        };
      },
    );
  }
}

export class ReopenConversationUseCase extends AgentChange {
  async execute(command: StatusCommand): Promise<Conversation> {
    await this.ensureVisible(command);
    return this.changer.change(tenantOf(command.principal), command.conversationId, (current) => {
      if (current.status === 'open') return { unchanged: true };
      return {
        patch: {
          status: 'open',
          snoozedUntil: undefined,
          reopenCount: current.reopenCount + (current.status === 'resolved' ? 1 : 0),
        },
        events: [statusChange(current, 'open', command.principal.agentId)],
      };
    });
  }
}

export class SnoozeConversationUseCase extends AgentChange {
  async execute(command: SnoozeCommand): Promise<Conversation> {
    await this.ensureVisible(command);
    const until = command.until;
    if (!until) throw new FailedPreconditionError('until is required');
    return this.changer.change(tenantOf(command.principal), command.conversationId, (current) => {
      if (current.status === 'resolved') {
        throw new FailedPreconditionError(
          'a resolved conversation cannot be snoozed; reopen it first',
        );
      }
      return {
        patch: { status: 'snoozed', snoozedUntil: until },
        events: [
          statusChange(current, 'snoozed', command.principal.agentId, {
            snoozedUntil: until.toISOString(),
          }),
        ],
      };
    });
  }
}
