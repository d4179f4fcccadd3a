import type { DeliveryStatus } from '@switchboard/events';
import type { ChatEventPublisher } from '../kafka/chat-event.publisher';
import type { VisitorSession } from '../sessions/visitor-session.store';
import { ChatError } from '../shared/chat-error';
import type { Clock } from '../shared/clock';
import type { ReplyMailbox } from './reply-mailbox.store';

/**
 * The visitor's widget confirmed it shows these replies ('delivered') or the visitor saw them
 * ('read'). Each status is reported to Kafka once; the status goes out before the mailbox forgets
 * the reply, so a Kafka outage leaves the reply pending (and re-sent) rather than unreported.
 */
export class AcknowledgeAgentRepliesUseCase {
  constructor(
    private readonly mailbox: ReplyMailbox,
    private readonly publisher: ChatEventPublisher,
    private readonly clock: Clock,
  ) {}

  /** Resolves with how many of the replies were newly delivered. */
  async delivered(session: VisitorSession, messageIds: readonly string[]): Promise<number> {
    let newlyDelivered = 0;
    for (const messageId of messageIds) {
      const reply = await this.mailbox.find(session.tenantId, session.threadKey, messageId);
      if (!reply) continue; // acknowledged before (a repeated ack) or never ours: nothing to do
      await this.publisher.publishStatus(
        this.status(session, messageId, reply.conversationId, 'delivered'),
      );
      if (await this.mailbox.markDelivered(session.tenantId, session.threadKey, reply)) {
        newlyDelivered += 1;
      }
    }
    return newlyDelivered;
  }

  /**
   * Resolves with how many of the replies were newly delivered (a read implies delivery) and
   * which were newly read, in the order given.
   */
  async read(
    session: VisitorSession,
    messageIds: readonly string[],
  ): Promise<{ newlyDelivered: number; newlyRead: string[] }> {
    const newlyRead: string[] = [];
    // Reading implies delivery, and a read receipt may overtake the delivery ack.
    const newlyDelivered = await this.delivered(session, messageIds);
    for (const messageId of messageIds) {
      const conversationId = await this.mailbox.deliveredConversation(
        session.tenantId,
        session.threadKey,
        messageId,
      );
      if (conversationId === undefined) {
        throw new ChatError(
          'unknown_message',
          `no reply ${messageId} was delivered to this visitor`,
        );
      }
      if (await this.mailbox.isRead(session.tenantId, session.threadKey, messageId)) continue;
      await this.publisher.publishStatus(this.status(session, messageId, conversationId, 'read'));
      await this.mailbox.markRead(session.tenantId, session.threadKey, messageId);
      newlyRead.push(messageId);
    }
    return { newlyDelivered, newlyRead };
  }

  private status(
    session: VisitorSession,
    messageId: string,
    conversationId: string,
    status: 'delivered' | 'read',
  ): DeliveryStatus {
    return {
      schemaVersion: 1,
      tenantId: session.tenantId,
      messageId,
      conversationId,
      channel: 'chat',
      status,
      occurredAt: this.clock.now().toISOString(),
    };
  }
}
