/** One message of a conversation as the visitor may see it (internal notes never are). */
export interface ConversationMessage {
  /** The conversation service's id. */
  id: string;
  direction: 'inbound' | 'outbound';
  /** Agent id for outbound messages, contact id for inbound ones. */
  authorId: string;
  text: string;
  /** The channel's id: for chat visitor messages `<visitorId>:<clientMessageId>`. */
  externalId: string;
  createdAt: string;
}

/** The conversation service's record of a conversation, behind a small interface. */
export interface ConversationHistory {
  /** Oldest first; internal notes are left out. Rejects when the service cannot answer. */
  listMessages(tenantId: string, conversationId: string): Promise<ConversationMessage[]>;
}
