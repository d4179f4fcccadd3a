import { chatMessageId } from '../inbound/send-visitor-message.usecase';
import type { VisitorSession } from '../sessions/visitor-session.store';
import type { ConversationHistory } from './conversation-history';
import type { ThreadConversationStore } from './thread-conversation.store';

/** One message of the visitor's conversation, with the id the widget knows it by. */
export interface HistoryEntry {
  id: string;
  /** The conversation service's id: what an agent's "read up to" signal names. */
  conversationMessageId: string;
  from: 'visitor' | 'agent';
  text: string;
  createdAt: string;
  authorAgentId?: string;
}

/** The most recent messages sent on (re)connection; older ones stay with the service. */
export const MAX_HISTORY_MESSAGES = 200;

/**
 * The visitor's conversation from the conversation service, for a (re)connecting widget. Ids
 * are the ones the widget already uses — a visitor message's id from its send ack (derived from
 * the client message id in `externalId`), a reply's OutboundMessage id — so what the widget
 * shows (`knownIds`) and replies about to be replayed from the mailbox (`pendingIds`) are left
 * out.
 */
export class LoadVisitorHistoryUseCase {
  constructor(
    private readonly history: ConversationHistory,
    private readonly conversations: ThreadConversationStore,
  ) {}

  /** Undefined while no conversation of this thread is known (no agent replied yet). */
  async execute(
    session: VisitorSession,
    knownIds: ReadonlySet<string>,
    pendingIds: ReadonlySet<string>,
  ): Promise<HistoryEntry[] | undefined> {
    const conversationId = await this.conversations.find(session.tenantId, session.threadKey);
    if (conversationId === undefined) return undefined;
    const messages = await this.history.listMessages(session.tenantId, conversationId);
    const visitorPrefix = `${session.visitorId}:`;
    const entries = messages.map((message): HistoryEntry => {
      if (message.direction === 'outbound') {
        return {
          id: message.id,
          conversationMessageId: message.id,
          from: 'agent',
          text: message.text,
          createdAt: message.createdAt,
          authorAgentId: message.authorId,
        };
      }
      const id = message.externalId.startsWith(visitorPrefix)
        ? chatMessageId(session, message.externalId.slice(visitorPrefix.length))
        : message.id;
      return {
        id,
        conversationMessageId: message.id,
        from: 'visitor',
        text: message.text,
        createdAt: message.createdAt,
      };
    });
    return entries
      .filter((entry) => !knownIds.has(entry.id) && !pendingIds.has(entry.id))
      .slice(-MAX_HISTORY_MESSAGES);
  }
}
