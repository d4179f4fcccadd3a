import type { PendingReply } from './reply-mailbox.store';

/** What the visitor's socket receives for one agent reply. */
export interface AgentMessageEvent {
  id: string;
  text: string;
  authorAgentId: string;
  createdAt: string;
}

export function toAgentMessageEvent(reply: PendingReply): AgentMessageEvent {
  return {
    id: reply.messageId,
    text: reply.text,
    authorAgentId: reply.authorAgentId,
    createdAt: reply.createdAt,
  };
}

/** Reaches a thread's visitor sockets on whichever replica holds them. */
export interface VisitorPush {
  pushReplies(tenantId: string, threadKey: string, replies: readonly PendingReply[]): void;
}
