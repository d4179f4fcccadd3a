import {
  InvalidArgumentError,
  OutOfRangeError,
  PermissionDeniedError,
  type Principal,
} from '@switchboard/grpc-kit';
import {
  loadVisibleConversation,
  seesWholeTenant,
  tenantOf,
} from '../agent-api/conversation-access';
import type { ConversationRepository } from '../persistence/conversation.repository';
import type { EventLogRepository } from '../persistence/event-log.repository';
import type { EventFeedHub, FeedFilter, FeedItem, FeedSubscription } from './event-feed.hub';

export type WatchScope =
  | { kind: 'my_assignments' }
  | { kind: 'queue'; queueId: string }
  | { kind: 'conversation'; conversationId: string }
  | { kind: 'tenant' };

export class WatchEventsCommand {
  constructor(
    readonly principal: Principal,
    readonly scope: WatchScope | undefined,
    /** 0 = live only. */
    readonly resumeAfter: number,
  ) {
    if (!scope) throw new InvalidArgumentError('scope', 'is required');
    if (!Number.isSafeInteger(resumeAfter) || resumeAfter < 0) {
      throw new InvalidArgumentError('resume_after_sequence', 'must be a non-negative integer');
    }
  }
}

/**
 * Subscribes a watcher: checks the scope against the caller's role, then replays from the log and
 * continues live (see EventFeedHub for the no-gap, no-duplicate handover).
 */
export class WatchEventsUseCase {
  constructor(
    private readonly conversations: ConversationRepository,
    private readonly eventLog: EventLogRepository,
    private readonly hub: EventFeedHub,
  ) {}

  async execute(
    command: WatchEventsCommand,
    sink: (item: FeedItem) => void,
  ): Promise<FeedSubscription> {
    const { principal } = command;
    const tenant = tenantOf(principal);
    const filter = await this.filterFor(principal, command.scope);
    if (command.resumeAfter > 0 && command.resumeAfter > (await this.eventLog.head(tenant))) {
      throw new OutOfRangeError('resume_after_sequence is beyond the newest event');
    }
    return this.hub.subscribe(
      tenant,
      command.resumeAfter > 0 ? command.resumeAfter : undefined,
      filter,
      sink,
    );
  }

  private async filterFor(
    principal: Principal,
    scope: WatchScope | undefined,
  ): Promise<FeedFilter> {
    const snapshotOf = (item: FeedItem) =>
      item.kind === 'event' ? item.event.snapshot : item.snapshot;
    const dataOf = (item: FeedItem): Record<string, string> =>
      item.kind === 'event' ? item.event.data : {};
    const conversationIdOf = (item: FeedItem) =>
      item.kind === 'event' ? item.event.conversationId : item.conversationId;
    switch (scope?.kind) {
      case undefined:
        throw new InvalidArgumentError('scope', 'is required');
      case 'tenant':
        if (!seesWholeTenant(principal)) {
          throw new PermissionDeniedError('only supervisors may watch the whole tenant');
        }
        return () => true;
      case 'queue': {
        const { queueId } = scope;
        if (!seesWholeTenant(principal) && !principal.queueIds.includes(queueId)) {
          throw new PermissionDeniedError(`not a member of queue ${queueId}`);
        }
        // Includes the event that moved a conversation out of the queue, so the UI drops it.
        return (item) =>
          snapshotOf(item).queueId === queueId || dataOf(item)['previousQueueId'] === queueId;
      }
      case 'my_assignments': {
        const me = principal.agentId;
        return (item) =>
          snapshotOf(item).assigneeId === me || dataOf(item)['previousAssigneeId'] === me;
      }
      case 'conversation': {
        const conversation = await loadVisibleConversation(
          this.conversations,
          principal,
          scope.conversationId,
        );
        return (item) => conversationIdOf(item) === conversation.id;
      }
    }
  }
}
