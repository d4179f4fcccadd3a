import sanitizeHtml from 'sanitize-html';
import type { ConversationChanger } from '../conversations/conversation-change.service';
import type { ConversationRepository } from '../persistence/conversation.repository';
import type { MessageRepository, StoredMessage } from '../persistence/message.repository';
import type { Clock } from '../shared/clock';
import { deterministicId } from '../shared/ids';
import type { SendMessageCommand } from './agent-commands';
import { loadWritableConversation, tenantOf } from './conversation-access';

/** Agent replies may format text, never script or style the customer's mail client. */
export function sanitiseReplyHtml(html: string): string {
  return sanitizeHtml(html, {
    allowedTags: sanitizeHtml.defaults.allowedTags.concat(['img']),
    allowedSchemesByTag: { img: ['https', 'cid'] },
    allowedAttributes: { a: ['href', 'title'], img: ['src', 'alt', 'width', 'height'] },
  });
}

/**
 * Stores an agent's reply and appends it to the conversation; the outbox then publishes the
 * conversation event and the OutboundMessage for the gateway (at least once). A retry with the
 * same client request id finds the stored reply and does not send it twice.
 */
export class SendMessageUseCase {
  constructor(
    private readonly conversations: ConversationRepository,
    private readonly messages: MessageRepository,
    private readonly changer: ConversationChanger,
    private readonly clock: Clock,
  ) {}

  async execute(command: SendMessageCommand): Promise<StoredMessage> {
    const tenant = tenantOf(command.principal);
    const conversation = await loadWritableConversation(
      this.conversations,
      command.principal,
      command.conversationId,
    );
    const agentId = command.principal.agentId;
    const { message } = await this.messages.insertOnce({
      id: deterministicId('msg', tenant, 'out', agentId, command.clientRequestId),
      tenantId: tenant,
      conversationId: conversation.id,
      dedupeKey: `out:${agentId}:${command.clientRequestId}`,
      channel: conversation.channel,
      direction: 'outbound',
      authorId: agentId,
      text: command.text,
      html: command.html ? sanitiseReplyHtml(command.html) : undefined,
      attachments: [],
      deliveryStatus: 'queued',
      createdAt: this.clock.now(),
    });
    await this.changer.change(tenant, message.conversationId, async (current, now) => {
      if (current.pending.some((event) => event.messageId === message.id))
        return { unchanged: true };
      const fresh = await this.messages.findById(tenant, message.id);
      if (fresh?.conversationSeq !== undefined) return { unchanged: true };
      const firstResponse = current.sla.firstResponseAt === undefined;
      return {
        patch: {
          agentReplyCount: current.agentReplyCount + 1,
          awaitingReplySince: undefined,
          sla: {
            ...current.sla,
            firstResponseAt: current.sla.firstResponseAt ?? now,
            firstResponseDueAt: undefined,
            nextResponseDueAt: undefined,
          },
        },
        events: [
          {
            type: 'message_added',
            actor: { kind: 'agent', id: agentId },
            triggersRouting: false,
            data: {
              messageId: message.id,
              direction: 'outbound',
              ...(firstResponse && current.awaitingReplySince
                ? { firstResponseMs: String(now.getTime() - current.createdAt.getTime()) }
                : {}),
            },
            messageId: message.id,
          },
        ],
      };
    });
    return (await this.messages.findById(tenant, message.id)) ?? message;
  }
}
