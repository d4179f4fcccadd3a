import { createHash } from 'node:crypto';
import type { OutboundMessage } from '@switchboard/events';
import type { PendingReply, ReplyMailbox } from '../outbound/reply-mailbox.store';
import type { TenantDirectory } from '../sessions/tenant-directory';
import type { Clock } from '../shared/clock';
import type { EmailFallbackSchedule, FallbackEntry } from './email-fallback.store';
import type { VisitorContact, VisitorContactStore } from './visitor-contact.store';

/** What happened to one due reply. */
export type FallbackOutcome =
  /** The email OutboundMessage is on Kafka. */
  | 'sent'
  /** The visitor acknowledged the reply in the chat: no email. */
  | 'acknowledged'
  /** The visitor left no email address. */
  | 'no_email'
  /** Produced before (a retry after a lost completion): not produced again. */
  | 'already_sent';

export interface FallbackResult {
  entry: FallbackEntry;
  outcome: FallbackOutcome | 'failed';
  error?: unknown;
}

export interface EmailFallbackOptions {
  /** How long a claimed entry belongs to this replica before another may retry it. */
  leaseMs: number;
  /** Entries claimed per pass. */
  batchSize: number;
}

/** Where the email envelope goes: the outbound topic, which the email gateway consumes. */
export interface OutboundEmailPublisher {
  publishOutbound(message: OutboundMessage): Promise<void>;
}

/**
 * Agent replies still unacknowledged at their due date go to the visitor by email, once.
 * The email's message id is derived from the chat reply's id, so even a retry after a crash
 * between Kafka's acknowledgement and the "sent" marker carries the same id, which the email
 * gateway sends once (it dedupes by messageId).
 */
export class SendEmailFallbacksUseCase {
  constructor(
    private readonly schedule: EmailFallbackSchedule,
    private readonly mailbox: Pick<ReplyMailbox, 'find'>,
    private readonly contacts: VisitorContactStore,
    private readonly publisher: OutboundEmailPublisher,
    private readonly tenants: TenantDirectory,
    private readonly clock: Clock,
    private readonly options: EmailFallbackOptions,
  ) {}

  /** One pass over the due entries; a failed entry stays leased and is retried after its lease. */
  async execute(): Promise<FallbackResult[]> {
    const due = await this.schedule.claimDue(
      this.clock.now(),
      this.options.leaseMs,
      this.options.batchSize,
    );
    const results: FallbackResult[] = [];
    for (const entry of due) {
      try {
        results.push({ entry, outcome: await this.fallBack(entry) });
      } catch (error) {
        results.push({ entry, outcome: 'failed', error });
      }
    }
    return results;
  }

  private async fallBack(entry: FallbackEntry): Promise<FallbackOutcome> {
    const outcome = await this.decide(entry);
    if (outcome.kind === 'send') {
      await this.publisher.publishOutbound(this.email(entry, outcome.reply, outcome.contact));
      await this.schedule.markSent(entry);
    }
    await this.schedule.complete(entry);
    return outcome.kind === 'send' ? 'sent' : outcome.kind;
  }

  private async decide(
    entry: FallbackEntry,
  ): Promise<
    | { kind: 'send'; reply: PendingReply; contact: VisitorContact }
    | { kind: Exclude<FallbackOutcome, 'sent'> }
  > {
    if (await this.schedule.isSent(entry)) return { kind: 'already_sent' };
    const reply = await this.mailbox.find(entry.tenantId, entry.threadKey, entry.messageId);
    if (!reply) return { kind: 'acknowledged' };
    const contact = await this.contacts.find(entry.tenantId, entry.threadKey);
    if (!contact) return { kind: 'no_email' };
    return { kind: 'send', reply, contact };
  }

  private email(entry: FallbackEntry, reply: PendingReply, contact: VisitorContact) {
    const tenantName = this.tenants.find(entry.tenantId)?.name ?? entry.tenantId;
    const message: OutboundMessage = {
      schemaVersion: 1,
      tenantId: entry.tenantId,
      messageId: emailFallbackMessageId(entry.tenantId, entry.messageId),
      conversationId: reply.conversationId,
      channel: 'email',
      // The chat thread: the email gateway signs it into Reply-To, so an answer by mail is
      // threaded by this key (on the email channel).
      threadKey: entry.threadKey,
      recipient: {
        kind: 'email',
        value: contact.email,
        ...(contact.name !== undefined ? { displayName: contact.name } : {}),
        // Typed into the pre-chat form, never confirmed.
        verified: false,
      },
      authorAgentId: reply.authorAgentId,
      subject: `Your conversation with ${tenantName}`,
      text: reply.text,
      attachments: [],
      inReplyTo: [],
      createdAt: this.clock.now().toISOString(),
    };
    return message;
  }
}

/** Deterministic per chat reply, so no retry or second replica can make it a second email. */
export function emailFallbackMessageId(tenantId: string, replyMessageId: string): string {
  const digest = createHash('sha256')
    .update(`email-fallback\n${tenantId}\n${replyMessageId}`)
    .digest('hex');
  return `chatmail_${digest.slice(0, 32)}`;
}
