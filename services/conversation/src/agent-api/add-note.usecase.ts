import type { ConversationChanger } from '../conversations/conversation-change.service';
import type { ConversationRepository } from '../persistence/conversation.repository';
import type { MessageRepository, StoredMessage } from '../persistence/message.repository';
import type { Clock } from '../shared/clock';
import { deterministicId } from '../shared/ids';
import type { AddNoteCommand } from './agent-commands';
import { loadWritableConversation, tenantOf } from './conversation-access';

/** An internal note: stored like a message, never sent to the customer. Idempotent by request id. */
export class AddNoteUseCase {
  constructor(
    private readonly conversations: ConversationRepository,
    private readonly messages: MessageRepository,
    private readonly changer: ConversationChanger,
    private readonly clock: Clock,
  ) {}

  async execute(command: AddNoteCommand): Promise<StoredMessage> {
    const tenant = tenantOf(command.principal);
    const conversation = await loadWritableConversation(
      this.conversations,
      command.principal,
      command.conversationId,
    );
    const agentId = command.principal.agentId;
    const { message } = await this.messages.insertOnce({
      id: deterministicId('note', tenant, agentId, command.clientRequestId),
      tenantId: tenant,
      conversationId: conversation.id,
      dedupeKey: `note:${agentId}:${command.clientRequestId}`,
      channel: conversation.channel,
      direction: 'note',
      authorId: agentId,
      text: command.text,
      attachments: [],
      deliveryStatus: 'received',
      createdAt: this.clock.now(),
    });
    await this.changer.change(tenant, message.conversationId, async (current) => {
      if (current.pending.some((event) => event.messageId === message.id))
        return { unchanged: true };
      const fresh = await this.messages.findById(tenant, message.id);
      if (fresh?.conversationSeq !== undefined) return { unchanged: true };
      return {
        patch: {},
        events: [
          {
            type: 'note_added',
            actor: { kind: 'agent', id: agentId },
            triggersRouting: false,
            data: { messageId: message.id, direction: 'note' },
            messageId: message.id,
          },
        ],
      };
    });
    return (await this.messages.findById(tenant, message.id)) ?? message;
  }
}
