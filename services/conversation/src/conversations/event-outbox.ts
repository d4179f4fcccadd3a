import type { ConversationRepository } from '../persistence/conversation.repository';
import type { EventLogRepository, LoggedEvent } from '../persistence/event-log.repository';
import type { MessageRepository } from '../persistence/message.repository';
import type { OutboundMessage } from '@switchboard/events';
import {
  type CustomerChange,
  type DeliveryState,
  isDeliveryState,
  type StoredMessage,
} from '../persistence/message.repository';
import type { KeyedMutex } from '../shared/keyed-mutex';
import type { TenantId } from '../shared/tenant-id';
import type { Conversation } from './conversation.model';
import type { ConversationEventPublisher } from './event-publisher';

/** Told about every event this replica logged, so local watchers hear of it at once. */
export interface EventLogListener {
  eventsLogged(tenant: TenantId, events: readonly LoggedEvent[]): void;
}

/**
 * Moves events from a conversation's outbox (written atomically with the change) into the
 * append-only log and onto Kafka, then forgets them. Every step is idempotent, so flushing again
 * after a crash anywhere repairs the state: the log dedupes by (conversation, seq), messages are
 * marked applied before their event leaves the outbox, and Kafka consumers dedupe by event id.
 */
export class EventOutbox {
  constructor(
    private readonly conversations: ConversationRepository,
    private readonly eventLog: EventLogRepository,
    private readonly messages: MessageRepository,
    private readonly publisher: ConversationEventPublisher,
    private readonly writes: KeyedMutex,
    private readonly listeners: EventLogListener[] = [],
  ) {}

  addListener(listener: EventLogListener): void {
    this.listeners.push(listener);
  }

  async flush(tenant: TenantId, conversationId: string): Promise<LoggedEvent[]> {
    return this.writes.run(conversationId, () => this.flushNow(tenant, conversationId));
  }

  private async flushNow(tenant: TenantId, conversationId: string): Promise<LoggedEvent[]> {
    const conversation = await this.conversations.findById(tenant, conversationId);
    if (!conversation || conversation.pending.length === 0) return [];
    const logged: LoggedEvent[] = [];
    try {
      for (const event of conversation.pending) {
        const entry = await this.eventLog.append(tenant, conversationId, event);
        logged.push(entry);
        if (event.messageId) await this.messages.markApplied(tenant, event.messageId, event.seq);
        const customerChange = customerChangeOf(event);
        if (customerChange) {
          // The message changes before its event leaves the outbox, like markApplied above.
          await this.messages.applyCustomerChange(
            tenant,
            customerChange.messageId,
            customerChange.change,
          );
        }
        const announced = announcedDeliveryStatus(event);
        if (announced) {
          await this.messages.markDeliveryAnnounced(tenant, announced.messageId, announced.status);
        }
        if (event.messageId && event.data['direction'] === 'outbound') {
          // The reply leaves through the outbox too, so it is sent even if the API call died.
          const reply = await this.messages.findById(tenant, event.messageId);
          if (reply) await this.publisher.publishOutbound(outboundEnvelope(conversation, reply));
        }
        await this.publisher.publishEvent(entry);
        await this.conversations.forgetPendingEvent(tenant, conversationId, event.seq);
      }
    } finally {
      if (logged.length > 0) {
        for (const listener of this.listeners) listener.eventsLogged(tenant, logged);
      }
    }
    return logged;
  }
}

/** The customer's change a `message_edited`, `message_deleted` or `message_reacted` event carries. */
function customerChangeOf(
  event: Conversation['pending'][number],
): { messageId: string; change: CustomerChange } | undefined {
  const { messageId, changeId, changedAt } = event.data;
  if (!messageId || !changeId || !changedAt) return undefined;
  const at = new Date(changedAt);
  if (event.type === 'message_edited') {
    return { messageId, change: { kind: 'edit', changeId, at, text: event.data['text'] ?? '' } };
  }
  if (event.type === 'message_deleted') {
    return { messageId, change: { kind: 'delete', changeId, at } };
  }
  if (event.type === 'message_reacted') {
    const emoji = event.data['emoji'] ?? '';
    // The actor of a customer change is the conversation's contact (ApplyCustomerChangeUseCase).
    const contactId = event.actor.id;
    return { messageId, change: { kind: 'reaction', changeId, at, emoji, contactId } };
  }
  return undefined;
}

/** A `message_status_changed` event's message and status (see RecordDeliveryStatusUseCase). */
function announcedDeliveryStatus(
  event: Conversation['pending'][number],
): { messageId: string; status: DeliveryState } | undefined {
  if (event.type !== 'message_status_changed') return undefined;
  const messageId = event.data['messageId'];
  const status = event.data['status'];
  return messageId && isDeliveryState(status) ? { messageId, status } : undefined;
}

function outboundEnvelope(conversation: Conversation, reply: StoredMessage): OutboundMessage {
  return {
    schemaVersion: 1,
    tenantId: conversation.tenantId,
    messageId: reply.id,
    conversationId: conversation.id,
    channel: conversation.channel,
    threadKey: conversation.threadKey,
    recipient: conversation.recipient,
    authorAgentId: reply.authorId,
    subject: conversation.subject,
    text: reply.text,
    html: reply.html,
    attachments: reply.attachments,
    inReplyTo: conversation.lastInboundExternalIds,
    createdAt: reply.createdAt.toISOString(),
  };
}
