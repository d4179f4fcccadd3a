import type { ConversationChanger } from '../conversations/conversation-change.service';
import { type Conversation, isAutomated, snapshotOf } from '../conversations/conversation.model';
import type { ConversationRepository } from '../persistence/conversation.repository';
import type { MessageRepository } from '../persistence/message.repository';
import type { Clock } from '../shared/clock';
import { conversationIdOf, inboundMessageIdOf } from '../shared/ids';
import type { SlaPolicy } from '../sla/sla-policy';
import type { ResolveContactUseCase } from '../contacts/resolve-contact.usecase';
import { decideInbound } from './inbound-decision';
import type { ApplyCustomerChangeUseCase } from './apply-customer-change.usecase';
import { routingDataOf } from './routing-data';
import type { IngestInboundMessageCommand } from './ingest-inbound-message.command';

export interface IngestResult {
  conversationId: string;
  messageId: string;
  /** False when the message had been ingested before (a redelivery). */
  appended: boolean;
}

/**
 * Appends a customer message to its conversation, exactly once in effect. The writes come in an
 * order where each one is idempotent and the next can be re-derived, so a redelivery after a crash
 * anywhere completes the work instead of doubling it:
 *   1. contact identity, then contact (ids derived from the identity);
 *   2. conversation (id derived from tenant, channel and thread key; created with its event);
 *   3. message (id derived from tenant, channel and external id; unique dedupe key);
 *   4. the conversation change and its events, in one atomic update guarded by the sequence;
 *   5. the outbox flush (event log, message marked applied, Kafka), idempotent per event.
 */
export class IngestInboundMessageUseCase {
  constructor(
    private readonly contacts: ResolveContactUseCase,
    private readonly conversations: ConversationRepository,
    private readonly messages: MessageRepository,
    private readonly changer: ConversationChanger,
    private readonly sla: SlaPolicy,
    private readonly clock: Clock,
    private readonly customerChanges: ApplyCustomerChangeUseCase,
  ) {}

  async execute(command: IngestInboundMessageCommand): Promise<IngestResult> {
    if (command.changeKind) return this.customerChanges.execute(command);
    const { tenantId: tenant, message } = command;
    const now = this.clock.now();
    const contactId = await this.contacts.execute(tenant, message.sender, now);

    const conversationId = conversationIdOf(tenant, message.channel, message.threadKey);
    const existing = await this.conversations.findById(tenant, conversationId);
    const conversation =
      existing ??
      (await this.conversations.createIfAbsent(
        newConversation(command, conversationId, contactId, now),
      ));

    const { message: stored } = await this.messages.insertOnce({
      id: inboundMessageIdOf(tenant, message.channel, message.externalMessageId),
      tenantId: tenant,
      conversationId: conversation.id,
      dedupeKey: `in:${message.channel}:${message.externalMessageId}`,
      channel: message.channel,
      direction: 'inbound',
      authorId: contactId,
      text: message.text,
      html: message.html,
      attachments: message.attachments,
      externalId: message.externalMessageId,
      deliveryStatus: 'received',
      flags: { ...message.flags },
      createdAt: new Date(message.receivedAt),
    });
    // The same external id seen again, possibly under another thread key: the first one wins.
    const targetConversationId = stored.conversationId;

    let appended = false;
    await this.changer.change(tenant, targetConversationId, async (current, at) => {
      // Order matters: the outbox marks a message applied before forgetting its event, so
      // checking the outbox first and the message second cannot miss an application.
      if (current.pending.some((event) => event.messageId === stored.id))
        return { unchanged: true };
      const fresh = await this.messages.findById(tenant, stored.id);
      if (fresh?.conversationSeq !== undefined) return { unchanged: true };
      appended = true;
      const targets = this.sla.targetsFor({
        tenantId: tenant,
        channel: current.channel,
        queueId: current.queueId,
        priority: current.priority,
      });
      return decideInbound(current, message, stored.id, contactId, targets, at);
    });
    return { conversationId: targetConversationId, messageId: stored.id, appended };
  }
}

function newConversation(
  command: IngestInboundMessageCommand,
  id: string,
  contactId: string,
  now: Date,
): Conversation {
  const { message } = command;
  const conversation: Conversation = {
    id,
    tenantId: command.tenantId,
    channel: message.channel,
    threadKey: message.threadKey,
    subject: message.subject,
    status: 'open',
    priority: 'normal',
    tags: [],
    contactId,
    recipient: message.sender,
    lastInboundExternalIds: [],
    sla: { breached: [] },
    inboundCount: 0,
    agentReplyCount: 0,
    reopenCount: 0,
    createdAt: now,
    updatedAt: now,
    seq: 1,
    pending: [],
  };
  conversation.pending.push({
    seq: 1,
    type: 'created',
    occurredAt: now,
    actor: { kind: 'customer', id: contactId },
    triggersRouting: !isAutomated(message.flags),
    data: routingDataOf(message),
    snapshot: snapshotOf(conversation),
  });
  return conversation;
}
