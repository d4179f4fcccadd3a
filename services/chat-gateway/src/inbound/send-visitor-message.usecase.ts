import { createHash } from 'node:crypto';
import { type InboundMessage, inboundMessageIdOf } from '@switchboard/events';
import { KafkaUnavailableError } from '@switchboard/kafka';
import type { Logger } from 'pino';
import type { ChatTenant } from '../config/chat-tenants.config';
import type { ChatEventPublisher } from '../kafka/chat-event.publisher';
import type { RateLimiter } from '../sessions/rate-limiter';
import type { VisitorSession } from '../sessions/visitor-session.store';
import { ChatError } from '../shared/chat-error';
import type { Clock } from '../shared/clock';
import type { AcceptedMessageStore } from './accepted-message.store';

export interface SendVisitorMessageCommand {
  session: VisitorSession;
  tenant: ChatTenant;
  clientIp: string;
  /** Chosen by the widget, the same for every retry of one message. */
  clientMessageId: string;
  text: string;
  /** The router said no agent is online (or the queue is closed): a message left for later. */
  offline?: boolean;
}

export interface AcceptedVisitorMessage {
  /** The gateway's id: what the widget shows the message by, and what history maps back to. */
  messageId: string;
  /**
   * The conversation service's id of the same message (see `inboundMessageIdOf`): what an agent's
   * "read up to" signal names.
   */
  conversationMessageId: string;
  duplicate: boolean;
}

export interface SendLimits {
  sessionMessagesPerMinute: number;
  ipEventsPerMinute: number;
}

/**
 * A visitor's message: on Kafka before the visitor's ack, exactly once per client message id.
 * The message id is derived from the client id, so even a retry that races the "accepted" marker
 * produces an identical envelope, which the conversation service dedupes by channel + external id.
 */
export class SendVisitorMessageUseCase {
  constructor(
    private readonly publisher: ChatEventPublisher,
    private readonly accepted: AcceptedMessageStore,
    private readonly rateLimiter: RateLimiter,
    private readonly limits: SendLimits,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async execute(command: SendVisitorMessageCommand): Promise<AcceptedVisitorMessage> {
    const { session, clientMessageId } = command;
    const messageId = chatMessageId(session, clientMessageId);
    const conversationMessageId = inboundMessageIdOf(
      session.tenantId,
      'chat',
      chatExternalMessageId(session, clientMessageId),
    );
    if (await this.accepted.isAccepted(session.tenantId, session.threadKey, clientMessageId)) {
      return { messageId, conversationMessageId, duplicate: true };
    }
    // Limits count only new messages: a retry of an accepted one must always get its ack.
    const withinSession = await this.rateLimiter.allow(
      `session:${session.tenantId}:${session.visitorId}`,
      this.limits.sessionMessagesPerMinute,
    );
    const withinIp =
      withinSession &&
      (await this.rateLimiter.allow(`ip:${command.clientIp}`, this.limits.ipEventsPerMinute));
    if (!withinSession || !withinIp) {
      throw new ChatError('rate_limited', 'too many messages; wait a moment and send again', true);
    }

    try {
      await this.publisher.publishInbound(this.envelope(command, messageId));
    } catch (error) {
      if (error instanceof KafkaUnavailableError) {
        throw new ChatError(
          'temporarily_unavailable',
          'message not accepted yet; retry later',
          true,
        );
      }
      throw error;
    }
    try {
      await this.accepted.markAccepted(session.tenantId, session.threadKey, clientMessageId);
    } catch (error) {
      // The message is on Kafka; a retry would produce the identical envelope, deduped downstream.
      this.logger.warn({ err: error, messageId }, 'accepted marker not stored');
    }
    return { messageId, conversationMessageId, duplicate: false };
  }

  private envelope(command: SendVisitorMessageCommand, messageId: string): InboundMessage {
    const { session, tenant } = command;
    const metadata: Record<string, string> = { 'chat.visitorId': session.visitorId };
    // The router classifies on preChatTopic. The email is not a sender identity: nobody
    // verified it, and an identity would merge this visitor into that address's contact.
    if (session.topic !== undefined) metadata['preChatTopic'] = session.topic;
    if (session.email !== undefined) metadata['preChatEmail'] = session.email;
    if (tenant.offline || command.offline === true) metadata['offline'] = 'true';
    return {
      schemaVersion: 1,
      tenantId: session.tenantId,
      messageId,
      channel: 'chat',
      externalMessageId: chatExternalMessageId(session, command.clientMessageId),
      threadKey: session.threadKey,
      sender: {
        kind: 'chat_visitor',
        value: session.visitorId,
        ...(session.name !== undefined ? { displayName: session.name } : {}),
        verified: session.verified,
      },
      text: command.text,
      attachments: [],
      authenticity: { 'chat.identity': session.verified ? 'verified' : 'anonymous' },
      flags: { autoReply: false, bounce: false, bulk: false, ownMessageEcho: false },
      inReplyTo: [],
      receivedAt: this.clock.now().toISOString(),
      metadata,
    };
  }
}

/** Deterministic, so every retry of one client message carries the same id. */
/** Client ids are unique per visitor only; the visitor id makes them unique per tenant. */
export function chatExternalMessageId(session: VisitorSession, clientMessageId: string): string {
  return `${session.visitorId}:${clientMessageId}`;
}

export function chatMessageId(session: VisitorSession, clientMessageId: string): string {
  const digest = createHash('sha256')
    .update(`${session.tenantId}\n${session.threadKey}\n${clientMessageId}`)
    .digest('hex');
  return `chat_${digest.slice(0, 32)}`;
}
