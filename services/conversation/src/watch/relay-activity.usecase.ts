import type { ConversationActivityEvent } from '@switchboard/events';
import { snapshotOf } from '../conversations/conversation.model';
import type { ConversationRepository } from '../persistence/conversation.repository';
import type { Clock } from '../shared/clock';
import { conversationIdOf } from '../shared/ids';
import { asTenantId } from '../shared/tenant-id';
import type { EventFeedHub } from './event-feed.hub';

export type RelayOutcome =
  'broadcast' | 'own_origin' | 'expired' | 'no_watchers' | 'unknown_conversation';

/**
 * Shows activity from the activity topic to this replica's watchers: other replicas' agents
 * (SetActivity there) and customers (their gateway). This replica's own signals were broadcast
 * when they were set and are skipped; a signal past `expiresAt` (a lagging consumer) is dropped.
 */
export class RelayActivityUseCase {
  constructor(
    private readonly conversations: ConversationRepository,
    private readonly hub: EventFeedHub,
    private readonly clock: Clock,
    private readonly origin: string,
  ) {}

  async execute(event: ConversationActivityEvent): Promise<RelayOutcome> {
    if (event.origin === this.origin) return 'own_origin';
    const now = this.clock.now();
    if (Date.parse(event.expiresAt) <= now.getTime()) return 'expired';
    const tenant = asTenantId(event.tenantId);
    // Watch filters need the conversation's queue and assignee: read it only if someone watches.
    if (!this.hub.hasSubscribers(tenant)) return 'no_watchers';
    // A gateway knows the thread, not always the conversation id; both lead to the same id.
    const conversationId =
      event.conversationId ?? conversationIdOf(tenant, event.channel, event.threadKey);
    const conversation = await this.conversations.findById(tenant, conversationId);
    if (
      !conversation ||
      conversation.channel !== event.channel ||
      conversation.threadKey !== event.threadKey
    ) {
      return 'unknown_conversation';
    }
    this.hub.broadcastActivity(tenant, {
      kind: 'activity',
      conversationId: conversation.id,
      actor: { kind: event.actor.kind, id: event.actor.id },
      isAssignee: event.actor.kind === 'agent' && event.isAssignee,
      activity: event.activity,
      lastReadMessageId: event.lastReadMessageId,
      occurredAt: new Date(event.occurredAt),
      snapshot: snapshotOf(conversation),
    });
    return 'broadcast';
  }
}
