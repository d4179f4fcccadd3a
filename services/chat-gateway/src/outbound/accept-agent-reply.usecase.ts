import type { OutboundMessage } from '@switchboard/events';
import type { EmailFallbackSchedule } from '../email-fallback/email-fallback.store';
import type { VisitorContactStore } from '../email-fallback/visitor-contact.store';
import type { ThreadConversationStore } from '../history/thread-conversation.store';
import type { Clock } from '../shared/clock';
import type { ReplyMailbox } from './reply-mailbox.store';
import type { VisitorPush } from './visitor-push';

/** Email fallback settings; absent when CHAT_EMAIL_FALLBACK_AFTER_MS is not set. */
export interface ReplyFallback {
  schedule: EmailFallbackSchedule;
  contacts: VisitorContactStore;
  afterMs: number;
  clock: Clock;
}

/**
 * An agent reply for a chat visitor: stored in the thread's mailbox first (so it survives the
 * visitor being away, a broken socket or a replica restart), then pushed to the visitor's sockets
 * on any replica. It leaves the mailbox only when the visitor's widget acknowledges it.
 */
export class AcceptAgentReplyUseCase {
  constructor(
    private readonly mailbox: ReplyMailbox,
    private readonly push: VisitorPush,
    private readonly fallback?: ReplyFallback,
    /** Learns each thread's conversation id, for history on reconnect; optional. */
    private readonly conversations?: ThreadConversationStore,
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
    // Scheduled before the reply is queued, so a crash in between cannot lose the fallback; a
    // redelivery keeps the first due date, and an entry whose reply was acknowledged (or never
    // queued) is dropped when it comes due.
    await this.scheduleFallback(message);
    const queued = await this.mailbox.enqueue(message.tenantId, message.threadKey, reply);
    if (queued) this.push.pushReplies(message.tenantId, message.threadKey, [reply]);
    // After the push, off the reply's path; a redelivery (after a failure here) repeats it.
    await this.conversations?.remember(message.tenantId, message.threadKey, message.conversationId);
    return queued ? 'queued' : 'known';
  }

  private async scheduleFallback(message: OutboundMessage): Promise<void> {
    if (!this.fallback) return;
    const { schedule, contacts, afterMs, clock } = this.fallback;
    // Only visitors who left an address; the address itself is read again when the reply is due.
    if (!(await contacts.find(message.tenantId, message.threadKey))) return;
    await schedule.schedule(
      { tenantId: message.tenantId, threadKey: message.threadKey, messageId: message.messageId },
      new Date(clock.now().getTime() + afterMs),
    );
  }
}
