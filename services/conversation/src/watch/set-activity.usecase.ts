import { InvalidArgumentError, type Principal, UnavailableError } from '@switchboard/grpc-kit';
import {
  loadWritableConversation,
  snapshotOfVisible,
  tenantOf,
} from '../agent-api/conversation-access';
import type { ConversationRepository } from '../persistence/conversation.repository';
import type { Clock } from '../shared/clock';
import { inboundMessageIdOf } from '../shared/ids';
import type { ActivityPublisher } from './activity-publisher';
import type { EventFeedHub } from './event-feed.hub';

export type Activity = 'viewing' | 'typing' | 'idle';

/** How long a signal counts: a UI repeats it while the agent keeps typing or viewing. */
export const ACTIVITY_TTL_MS = 10_000;

export class SetActivityCommand {
  constructor(
    readonly principal: Principal,
    readonly conversationId: string,
    readonly activity: Activity | undefined,
  ) {
    if (!conversationId) throw new InvalidArgumentError('conversation_id', 'is required');
    if (!activity) throw new InvalidArgumentError('kind', 'must be VIEWING, TYPING or IDLE');
  }
}

export interface ActivitySharing {
  publisher: ActivityPublisher;
  /** This process: its own signals come back from Kafka and are skipped by that. */
  origin: string;
}

/**
 * Viewing/typing signals: ephemeral, never logged or replayed. Broadcast at once to this replica's
 * watchers, and produced to the activity topic for the other replicas' watchers (see
 * RelayActivityUseCase) and for the customer's gateway ("read", "agent is typing").
 */
export class SetActivityUseCase {
  constructor(
    private readonly conversations: ConversationRepository,
    private readonly hub: EventFeedHub,
    private readonly clock: Clock,
    private readonly sharing: ActivitySharing | undefined,
  ) {}

  async execute(command: SetActivityCommand): Promise<void> {
    const { principal } = command;
    const tenant = tenantOf(principal);
    const conversation = await loadWritableConversation(
      this.conversations,
      principal,
      command.conversationId,
    );
    const activity = command.activity ?? 'idle';
    const now = this.clock.now();
    const isAssignee = conversation.assigneeId === principal.agentId;
    // The assignee viewing or typing has seen the customer's latest message: the gateway may
    // show it as read. Its id derives from its external id, so no message lookup is needed.
    const newestInbound = conversation.lastInboundExternalIds.at(-1);
    const lastReadMessageId =
      isAssignee && activity !== 'idle' && newestInbound !== undefined
        ? inboundMessageIdOf(tenant, conversation.channel, newestInbound)
        : undefined;
    this.hub.broadcastActivity(tenant, {
      kind: 'activity',
      conversationId: conversation.id,
      actor: { kind: 'agent', id: principal.agentId },
      isAssignee,
      activity,
      lastReadMessageId,
      occurredAt: now,
      snapshot: snapshotOfVisible(conversation),
    });
    if (!this.sharing) return;

    try {
      await this.sharing.publisher.publish({
        schemaVersion: 1,
        tenantId: tenant,
        channel: conversation.channel,
        threadKey: conversation.threadKey,
        conversationId: conversation.id,
        actor: { kind: 'agent', id: principal.agentId, name: '' },
        isAssignee,
        activity,
        lastReadMessageId,
        occurredAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + ACTIVITY_TTL_MS).toISOString(),
        origin: this.sharing.origin,
      });
    } catch {
      throw new UnavailableError(
        'activity reached this replica only: the activity topic is unavailable; retry',
      );
    }
  }
}
