import { InvalidArgumentError, type Principal } from '@switchboard/grpc-kit';
import {
  loadVisibleConversation,
  snapshotOfVisible,
  tenantOf,
} from '../agent-api/conversation-access';
import type { ConversationRepository } from '../persistence/conversation.repository';
import type { Clock } from '../shared/clock';
import type { EventFeedHub } from './event-feed.hub';

export type Activity = 'viewing' | 'typing' | 'idle';

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

/**
 * Viewing/typing signals: ephemeral, never logged or replayed, broadcast to this replica's
 * watchers of the conversation so agents see a collision before it happens.
 */
export class SetActivityUseCase {
  constructor(
    private readonly conversations: ConversationRepository,
    private readonly hub: EventFeedHub,
    private readonly clock: Clock,
  ) {}

  async execute(command: SetActivityCommand): Promise<void> {
    const conversation = await loadVisibleConversation(
      this.conversations,
      command.principal,
      command.conversationId,
    );
    this.hub.broadcastActivity(tenantOf(command.principal), {
      kind: 'activity',
      conversationId: conversation.id,
      agentId: command.principal.agentId,
      activity: command.activity ?? 'idle',
      occurredAt: this.clock.now(),
      snapshot: snapshotOfVisible(conversation),
    });
  }
}
