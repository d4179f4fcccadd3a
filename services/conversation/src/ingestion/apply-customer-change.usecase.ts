import type { ConversationChanger } from '../conversations/conversation-change.service';
import type { EventDraft } from '../conversations/conversation.model';
import type { ConversationRepository } from '../persistence/conversation.repository';
import type { MessageRepository, StoredMessage } from '../persistence/message.repository';
import { inboundMessageIdOf } from '../shared/ids';
import type { TenantId } from '../shared/tenant-id';
import {
  type IngestInboundMessageCommand,
  InvalidInboundMessageError,
} from './ingest-inbound-message.command';
import type { IngestResult } from './ingest-inbound-message.usecase';

const EVENT_TYPES = {
  edit: 'message_edited',
  delete: 'message_deleted',
  reaction: 'message_reacted',
} as const;

/**
 * A customer's reaction, edit or delete of an earlier message, exactly once in effect: the event
 * is written with the conversation in one atomic change, and the outbox applies the change to
 * the message (recording the change's id) before it forgets the event. A redelivery finds the
 * event pending or the id recorded, and only finishes the flush.
 */
export class ApplyCustomerChangeUseCase {
  constructor(
    private readonly conversations: ConversationRepository,
    private readonly messages: MessageRepository,
    private readonly changer: ConversationChanger,
  ) {}

  async execute(command: IngestInboundMessageCommand): Promise<IngestResult> {
    const { tenantId: tenant, message: envelope } = command;
    const kind = command.changeKind;
    const targetExternalId = envelope.targetExternalMessageId;
    if (!kind || !targetExternalId) throw new Error('not a change of an earlier message');
    const target = await this.findTarget(tenant, command, targetExternalId);
    // Customers change their own messages; they may react to ours too.
    if (kind !== 'reaction' && target.direction !== 'inbound') {
      throw new InvalidInboundMessageError(
        `targetExternalMessageId: a customer cannot ${kind} an agent's message`,
      );
    }
    const conversation = await this.conversations.findById(tenant, target.conversationId);
    if (conversation?.threadKey !== envelope.threadKey) {
      throw new InvalidInboundMessageError(
        'targetExternalMessageId: the message is in another thread',
      );
    }
    const changeId = inboundMessageIdOf(tenant, envelope.channel, envelope.externalMessageId);
    const changedAt = new Date(envelope.receivedAt);
    let appended = false;
    await this.changer.change(tenant, target.conversationId, async (current) => {
      if (current.pending.some((event) => event.data['changeId'] === changeId)) {
        return { unchanged: true };
      }
      const fresh = await this.messages.findById(tenant, target.id);
      if (!fresh || fresh.appliedChanges?.includes(changeId)) return { unchanged: true };
      // Changes arrive late or twice (redeliveries, platform retries): a deleted message stays
      // deleted, and an edit or reaction older than the one shown is not announced.
      if (isSuperseded(fresh, kind, changedAt)) return { unchanged: true };
      appended = true;
      const data: Record<string, string> = {
        messageId: target.id,
        changeId,
        changedAt: changedAt.toISOString(),
      };
      if (kind === 'edit') data['text'] = envelope.text;
      if (kind === 'reaction') data['emoji'] = envelope.reactionEmoji ?? '';
      const event: EventDraft = {
        type: EVENT_TYPES[kind],
        actor: { kind: 'customer', id: current.contactId },
        triggersRouting: false,
        data,
      };
      return { patch: {}, events: [event] };
    });
    return { conversationId: target.conversationId, messageId: target.id, appended };
  }

  /** The customer's own message by its derived id, else one of ours by the platform's id. */
  private async findTarget(
    tenant: TenantId,
    command: IngestInboundMessageCommand,
    externalId: string,
  ): Promise<StoredMessage> {
    const { channel } = command.message;
    const target =
      (await this.messages.findById(tenant, inboundMessageIdOf(tenant, channel, externalId))) ??
      (await this.messages.findByExternalId(tenant, channel, externalId));
    if (!target) {
      throw new InvalidInboundMessageError(
        `targetExternalMessageId: "${externalId.slice(0, 200)}" is no message of this tenant`,
      );
    }
    return target;
  }
}

function isSuperseded(message: StoredMessage, kind: 'edit' | 'delete' | 'reaction', at: Date) {
  if (message.deletedAt) return true;
  const shownSince =
    kind === 'edit' ? message.editedAt : kind === 'reaction' ? message.reaction?.at : undefined;
  return shownSince !== undefined && shownSince.getTime() >= at.getTime();
}
