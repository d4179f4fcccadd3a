import {
  type DeliveryStatus,
  deliveryStatusSchema,
  encodeEnvelope,
  type OutboundMessage,
  Topics,
} from '@switchboard/events';
import type { MessageProducer } from '@switchboard/kafka';
import type { Clock } from '../shared/clock';
import type { BlobStorage } from '../storage/blob-storage';
import type { TenantDirectory } from '../tenants/tenant-directory';
import type { ThreadIndex } from '../threading/thread-index';
import { type ThreadSigner, tokenInSubject } from '../threading/thread-signer';
import { type MailTransport, type OutboundMail, RelayDeliveryError } from './mail-transport';
import type { OutboundLedger } from './outbound-ledger';

export interface SendOutboundMailDependencies {
  transport: MailTransport;
  ledger: OutboundLedger;
  threadIndex: ThreadIndex;
  signer: ThreadSigner;
  tenants: TenantDirectory;
  storage: BlobStorage;
  /** Publishes DeliveryStatus envelopes. */
  producer: MessageProducer;
  clock: Clock;
  /** Relay attempts (4xx, unreachable) before the message is given up as failed. */
  maxAttempts: number;
  deliveryStatusTopic?: string;
}

export type SendOutcome =
  | { kind: 'sent'; ourMessageId: string }
  /** The relay accepted this message before (a Kafka redelivery): not mailed again. */
  | { kind: 'already-sent'; ourMessageId: string }
  /** Will never be delivered as it is; the caller dead-letters it with this reason. */
  | { kind: 'failed'; reason: string };

/**
 * The relay answered 4xx or could not be reached, and attempts remain: a 'deferred' status is
 * out and the caller (the Kafka consumer) retries with backoff.
 */
export class DeliveryDeferredError extends Error {
  constructor(
    reason: string,
    readonly attempt: number,
  ) {
    super(`delivery deferred (attempt ${attempt}): ${reason}`);
    this.name = 'DeliveryDeferredError';
  }
}

/** Mail clients thread by the root and the parent; a long tail only adds bytes. */
const MAX_REFERENCES = 20;
const DEFAULT_SUBJECT = 'Re: your message';

/**
 * One agent reply on the email channel, from the OutboundMessage envelope to the relay, threaded
 * so the customer's client shows it in the conversation and their answer finds its way back.
 *
 * Idempotent by the envelope's messageId: a durable "sent" marker is written once the relay has
 * accepted, and checked first. The one gap is a crash between the relay's acceptance and the
 * marker write: the redelivered record is then mailed again (at-least-once), with the same
 * Message-ID, so a client that dedupes by Message-ID still shows it once.
 */
export class SendOutboundMailUseCase {
  private readonly statusTopic: string;

  constructor(private readonly deps: SendOutboundMailDependencies) {
    this.statusTopic = deps.deliveryStatusTopic ?? Topics.deliveryStatus;
  }

  async execute(message: OutboundMessage): Promise<SendOutcome> {
    const tenant = this.deps.tenants.tenant(message.tenantId);
    if (!tenant)
      return this.fail(message, 'no-tenant', `tenant ${message.tenantId} has no email setup`);
    if (message.recipient.kind !== 'email' || !isMailAddress(message.recipient.value))
      return this.fail(message, 'bad-recipient', 'recipient is not an email address');

    const supportAddress = this.deps.tenants.supportAddress(tenant);
    const ourMessageId = this.deps.signer.outboundMessageId(
      message.tenantId,
      message.messageId,
      supportAddress.slice(supportAddress.lastIndexOf('@') + 1),
    );
    if ((await this.deps.ledger.findSent(message.tenantId, message.messageId)) !== undefined) {
      // The status publish may be what failed last time; repeating it is harmless.
      await this.publish(message, { status: 'sent', externalMessageId: ourMessageId });
      return { kind: 'already-sent', ourMessageId };
    }

    const attachments = await this.loadAttachments(message);
    if (typeof attachments === 'string') return this.fail(message, 'attachment', attachments);
    const { inReplyTo, references } = await this.threadingHeaders(message, ourMessageId);
    const mail: OutboundMail = {
      envelopeFrom: supportAddress,
      from: { address: supportAddress, ...(tenant.fromName ? { name: tenant.fromName } : {}) },
      to: message.recipient.value,
      replyTo: this.deps.signer.replyToAddress(message.tenantId, supportAddress, message.threadKey),
      subject: this.subjectOf(message),
      messageId: ourMessageId,
      ...(inReplyTo !== undefined ? { inReplyTo } : {}),
      references,
      text: message.text,
      ...(message.html !== undefined ? { html: message.html } : {}),
      attachments,
      // Lets the inbound side recognise our own mail coming back (mirrors, loops).
      headers: {
        'X-Switchboard-Tenant': message.tenantId,
        'X-Switchboard-Message-Id': message.messageId,
      },
    };

    await this.rememberBeforeSending(message, ourMessageId);
    const attempt = await this.deps.ledger.countAttempt(message.tenantId, message.messageId);
    try {
      await this.deps.transport.send(mail);
    } catch (error) {
      if (!(error instanceof RelayDeliveryError)) throw error;
      const errorCode = error.smtpCode !== undefined ? String(error.smtpCode) : 'unreachable';
      if (error.permanent)
        return this.fail(message, errorCode, `relay refused the message: ${error.message}`);
      if (attempt >= this.deps.maxAttempts)
        return this.fail(
          message,
          errorCode,
          `relay still deferring after ${attempt} attempts: ${error.message}`,
        );
      await this.publish(message, { status: 'deferred', errorCode, errorMessage: error.message });
      throw new DeliveryDeferredError(error.message, attempt);
    }
    await this.deps.ledger.markSent(message.tenantId, message.messageId, ourMessageId);
    await this.publish(message, { status: 'sent', externalMessageId: ourMessageId });
    return { kind: 'sent', ourMessageId };
  }

  /**
   * Written before the relay sees the mail, because the customer's answer (or a bounce) can
   * arrive before anything after the send runs. All of it is idempotent, so retries rewrite it.
   */
  private async rememberBeforeSending(message: OutboundMessage, ourMessageId: string) {
    const { tenantId, threadKey } = message;
    const { threadIndex, signer, ledger } = this.deps;
    await threadIndex.rememberThreadRef(tenantId, signer.threadRef(tenantId, threadKey), threadKey);
    await threadIndex.rememberMessage(tenantId, ourMessageId, threadKey);
    await threadIndex.addParticipants(tenantId, threadKey, [message.recipient.value]);
    await ledger.rememberSentMessage(ourMessageId, {
      tenantId,
      conversationId: message.conversationId,
      messageId: message.messageId,
    });
  }

  /**
   * In-Reply-To: the customer message this answers (the envelope's last inReplyTo), else the
   * thread's latest known mail. References: the thread's known ids oldest first, the thread
   * root kept first, the parent last, as RFC 5322 §3.6.4 orders them.
   */
  private async threadingHeaders(
    message: OutboundMessage,
    ourMessageId: string,
  ): Promise<{ inReplyTo?: string; references: string[] }> {
    const known = (
      await this.deps.threadIndex.threadMessageIds(message.tenantId, message.threadKey)
    ).filter((id) => id !== ourMessageId);
    const replyTargets = message.inReplyTo.filter(isMessageIdLike);
    const root = isMessageIdLike(message.threadKey) ? [message.threadKey] : [];
    const ordered = unique([
      ...root,
      ...known.filter((id) => !replyTargets.includes(id)),
      ...replyTargets,
    ]);
    const references =
      ordered.length > MAX_REFERENCES
        ? [ordered[0] ?? '', ...ordered.slice(-(MAX_REFERENCES - 1))]
        : ordered;
    const inReplyTo = replyTargets.at(-1) ?? references.at(-1);
    return { ...(inReplyTo !== undefined ? { inReplyTo } : {}), references };
  }

  /** The agent's subject with our signed marker, the third way a reply finds its thread. */
  private subjectOf(message: OutboundMessage): string {
    const subject = message.subject?.trim() || DEFAULT_SUBJECT;
    if (tokenInSubject(subject) !== undefined) return subject;
    return `${subject} ${this.deps.signer.subjectMarker(message.tenantId, message.threadKey)}`;
  }

  private async loadAttachments(
    message: OutboundMessage,
  ): Promise<OutboundMail['attachments'] | string> {
    const loaded: OutboundMail['attachments'][number][] = [];
    for (const attachment of message.attachments) {
      if (attachment.storageKey === undefined)
        return `attachment ${attachment.filename} has no stored content to send`;
      let content: Buffer;
      try {
        content = await this.deps.storage.get(attachment.storageKey);
      } catch (error) {
        // A missing blob will not appear by retrying; anything else (disk, network) might pass.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT')
          return `attachment ${attachment.filename} is not in storage (${attachment.storageKey})`;
        throw error;
      }
      loaded.push({
        filename: attachment.filename,
        contentType: attachment.contentType,
        content,
        ...(attachment.contentId ? { contentId: attachment.contentId } : {}),
      });
    }
    return loaded;
  }

  private async fail(
    message: OutboundMessage,
    errorCode: string,
    reason: string,
  ): Promise<SendOutcome> {
    await this.publish(message, { status: 'failed', errorCode, errorMessage: reason });
    return { kind: 'failed', reason: `${errorCode}: ${reason}` };
  }

  private async publish(
    message: OutboundMessage,
    outcome: Pick<DeliveryStatus, 'status' | 'externalMessageId' | 'errorCode' | 'errorMessage'>,
  ): Promise<void> {
    const status = deliveryStatusSchema.parse({
      schemaVersion: 1,
      tenantId: message.tenantId,
      messageId: message.messageId,
      conversationId: message.conversationId,
      channel: 'email',
      ...outcome,
      occurredAt: this.deps.clock.now().toISOString(),
    } satisfies DeliveryStatus);
    await this.deps.producer.send(this.statusTopic, [
      { key: message.conversationId, value: encodeEnvelope(status) },
    ]);
  }
}

function isMailAddress(value: string): boolean {
  return /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(value);
}

function isMessageIdLike(value: string): boolean {
  return /^<[^\s<>]+@[^\s<>]+>$/.test(value);
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
