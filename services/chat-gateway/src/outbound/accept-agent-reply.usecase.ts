import type { OutboundMessage } from '@switchboard/events';
import type { ReplyMailbox } from './reply-mailbox.store';
import type { VisitorPush } from './visitor-push';

/**
 * An agent reply for a chat visitor: stored in the thread's mailbox first (so it survives the
 * visitor being away, a broken socket or a replica restart), then pushed to the visitor's sockets
 * on any replica. It leaves the mailbox only when the visitor's widget acknowledges it.
 */
export class AcceptAgentReplyUseCase {
  constructor(
    private readonly mailbox: ReplyMailbox,
    private readonly push: VisitorPush,
  ) {}

  async execute(message: OutboundMessage): Promise<'queued' | 'known' | 'not_chat'> {
    // Other channels' replies belong to their own gateways.
    if (message.channel !== 'chat') return 'not_chat';
    const reply = {
      messageId: message.messageId,
      conversationId: message.conversationId,
      authorAgentId: message.authorAgentId,
      text: message.text,
      createdAt: message.createdAt,
    };
    const queued = await this.mailbox.enqueue(message.tenantId, message.threadKey, reply);
    if (!queued) return 'known';
    this.push.pushReplies(message.tenantId, message.threadKey, [reply]);
    return 'queued';
  }
}
