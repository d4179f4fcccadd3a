import type { ConversationActivityEvent } from '@switchboard/events';
import type { ThreadConversationStore } from '../history/thread-conversation.store';
import type { Clock } from '../shared/clock';

/** What a visitor's widget is told about the agent handling the conversation. */
export type AgentActivityPushEvent =
  | { event: 'agent:typing'; payload: { isTyping: boolean; name: string } }
  | { event: 'agent:read'; payload: { upToMessageId: string } };

/** Reaches a thread's visitor sockets on whichever replica holds them. */
export interface AgentActivityPush {
  pushAgentActivity(tenantId: string, threadKey: string, activity: AgentActivityPushEvent): void;
}

export type RelayOutcome = 'relayed' | 'not_for_visitors' | 'expired';

/**
 * Agent activity from the conversation-activity topic to the visitor: only the assignee's (a
 * colleague peeking must not show as "typing"), only on chat, and never once expired — a lagging
 * consumer must not show an agent typing minutes later.
 */
export class RelayAgentActivityUseCase {
  constructor(
    private readonly push: AgentActivityPush,
    private readonly clock: Clock,
    /** Learns the thread's conversation from the event, for history and wait estimates. */
    private readonly conversations?: ThreadConversationStore,
  ) {}

  async execute(event: ConversationActivityEvent): Promise<RelayOutcome> {
    if (event.channel !== 'chat' || event.actor.kind !== 'agent') return 'not_for_visitors';
    if (event.conversationId !== undefined && this.conversations) {
      await this.conversations.remember(event.tenantId, event.threadKey, event.conversationId);
    }
    if (!event.isAssignee) return 'not_for_visitors';
    if (Date.parse(event.expiresAt) <= this.clock.now().getTime()) return 'expired';
    this.push.pushAgentActivity(event.tenantId, event.threadKey, {
      event: 'agent:typing',
      payload: { isTyping: event.activity === 'typing', name: event.actor.name },
    });
    if (event.lastReadMessageId !== undefined) {
      this.push.pushAgentActivity(event.tenantId, event.threadKey, {
        event: 'agent:read',
        payload: { upToMessageId: event.lastReadMessageId },
      });
    }
    return 'relayed';
  }
}
