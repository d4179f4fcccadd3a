import { createHash } from 'node:crypto';
import {
  type Attachment,
  deadLetterTopicOf,
  encodeEnvelope,
  type InboundMessage,
  inboundMessageSchema,
  threadPartitionKey,
  Topics,
} from '@switchboard/events';
import type { MessageProducer } from '@switchboard/kafka';
import type {
  AuthenticityVerdicts,
  MailAuthenticator,
  SmtpOrigin,
} from '../authenticity/mail-authenticator';
import { type BlobStorage, contentKey } from '../storage/blob-storage';
import { resolveThread } from '../threading/resolve-thread';
import type { ThreadIndex } from '../threading/thread-index';
import type { ThreadSigner } from '../threading/thread-signer';
import {
  type MailParseLimits,
  MailParseError,
  parseMail,
  type ParsedMail,
} from './parsing/parse-mail';

export interface IngestMailCommand {
  raw: Buffer;
  tenantId: string;
  /** Envelope recipients (SMTP RCPT TO) of this tenant; header recipients are added by parsing. */
  recipients: string[];
  /** Present for SMTP deliveries; without it no SPF/DKIM/DMARC verdict is possible. */
  origin?: SmtpOrigin;
  source: 'smtp' | 'http' | 'imap';
  receivedAt: Date;
}

export type IngestOutcome =
  | { kind: 'accepted'; envelope: InboundMessage }
  /** Not a usable mail: archived and dead-lettered; the reason is safe to show the sender. */
  | { kind: 'rejected'; reason: string; archiveKey: string };

export interface IngestLimits extends MailParseLimits {
  maxAttachmentBytes: number;
  /** Text and HTML beyond this are cut (and marked) so the envelope fits a Kafka record. */
  maxBodyChars: number;
}

export interface IngestMailDependencies {
  producer: MessageProducer;
  storage: BlobStorage;
  threadIndex: ThreadIndex;
  signer: ThreadSigner;
  authenticator: MailAuthenticator;
  limits: IngestLimits;
  inboundTopic?: string;
  /** Turns bounces of our outbound mail into 'bounced' delivery statuses. */
  bounceReporter?: { execute(inbound: InboundMessage): Promise<unknown> };
}

/**
 * One inbound mail, from raw bytes to an InboundMessage on Kafka. Resolves only once Kafka has
 * acknowledged (or the mail is archived and dead-lettered); any rejection from a dependency
 * (KafkaUnavailableError, Redis, disk) propagates so the transport refuses temporarily and the
 * sender retries. Everything derived from the bytes is deterministic, so a retry after a lost
 * acknowledgement produces the same ids and the conversation service dedupes it.
 */
export class IngestMailUseCase {
  private readonly inboundTopic: string;

  constructor(private readonly deps: IngestMailDependencies) {
    this.inboundTopic = deps.inboundTopic ?? Topics.inboundMessages;
  }

  async execute(command: IngestMailCommand): Promise<IngestOutcome> {
    const archiveKey = contentKey('raw', command.tenantId, command.raw, '.eml');
    await this.deps.storage.put(archiveKey, command.raw);

    let parsed: ParsedMail;
    try {
      parsed = await parseMail(command.raw, this.deps.limits);
    } catch (error) {
      if (!(error instanceof MailParseError)) throw error;
      await this.deadLetter(command, archiveKey, error.reason);
      return { kind: 'rejected', reason: error.reason, archiveKey };
    }

    const authenticity: AuthenticityVerdicts = command.origin
      ? await this.deps.authenticator.verify(command.raw, command.origin)
      : {};
    const envelope = await this.buildEnvelope(command, parsed, authenticity, archiveKey);
    await this.deps.threadIndex.rememberMessage(
      command.tenantId,
      envelope.externalMessageId,
      envelope.threadKey,
    );
    if (authenticity.dmarc !== 'fail') {
      await this.deps.threadIndex.addParticipants(command.tenantId, envelope.threadKey, [
        envelope.sender.value,
      ]);
    }
    await this.deps.producer.send(this.inboundTopic, [
      {
        key: threadPartitionKey(envelope.tenantId, 'email', envelope.threadKey),
        value: encodeEnvelope(envelope),
      },
    ]);
    // Before the 250: if this fails the sender retries, and both records are idempotent.
    if (envelope.flags.bounce) await this.deps.bounceReporter?.execute(envelope);
    return { kind: 'accepted', envelope };
  }

  private async buildEnvelope(
    command: IngestMailCommand,
    parsed: ParsedMail,
    authenticity: AuthenticityVerdicts,
    archiveKey: string,
  ): Promise<InboundMessage> {
    const { tenantId } = command;
    const digest = createHash('sha256').update(command.raw).digest('hex');
    // A mail without Message-ID still needs a stable id so retries dedupe.
    const externalMessageId =
      parsed.messageId ?? `<sb-missing.${digest.slice(0, 32)}@switchboard.invalid>`;
    const sender =
      parsed.from?.address ?? command.origin?.mailFrom?.toLowerCase() ?? 'unknown@invalid';
    const inReplyTo = parsed.bounce?.originalMessageId
      ? [parsed.bounce.originalMessageId, ...parsed.inReplyTo]
      : parsed.inReplyTo;

    const thread = await resolveThread(
      {
        tenantId,
        recipients: [
          ...command.recipients,
          ...parsed.to.map((a) => a.address),
          ...parsed.cc.map((a) => a.address),
        ],
        subject: parsed.subject,
        messageId: externalMessageId,
        inReplyTo,
        sender,
        dmarc: authenticity.dmarc,
      },
      this.deps.signer,
      this.deps.threadIndex,
    );

    const { attachments, problems } = await this.storeAttachments(tenantId, parsed);
    const metadata: Record<string, string> = {
      'email.source': command.source,
      'email.rawArchiveKey': archiveKey,
      'email.threadMatchedBy': thread.matchedBy,
    };
    const text = parsed.replyText !== '' ? parsed.replyText : parsed.text;
    const limit = this.deps.limits.maxBodyChars;
    metadata['email.fullText'] = parsed.text.slice(0, limit);
    if (parsed.quotedText !== '') metadata['email.quotedText'] = parsed.quotedText.slice(0, limit);
    if (parsed.text.length > limit || (parsed.html?.length ?? 0) > limit)
      metadata['email.truncated'] = 'true';
    if (thread.refused) metadata['email.threadRefused'] = thread.refused;
    if (problems.length > 0) metadata['email.attachmentProblems'] = problems.join('; ');
    if (parsed.replyTo) metadata['email.replyTo'] = parsed.replyTo.address;
    if (parsed.bounce?.undeliverableAddress)
      metadata['email.undeliverableAddress'] = parsed.bounce.undeliverableAddress;
    if (parsed.bounce?.status) metadata['email.bounceStatus'] = parsed.bounce.status;
    if (parsed.bounce?.originalMessageId)
      metadata['email.bouncedMessageId'] = parsed.bounce.originalMessageId;

    const ownMessageEcho =
      this.deps.signer.isOwnMessageId(tenantId, externalMessageId) ||
      (parsed.headers['x-switchboard-tenant'] === tenantId &&
        parsed.headers['x-switchboard-message-id'] !== undefined);

    return inboundMessageSchema.parse({
      schemaVersion: 1,
      tenantId,
      messageId: `email-${createHash('sha256').update(`${tenantId}\0${externalMessageId}`).digest('hex').slice(0, 32)}`,
      channel: 'email',
      externalMessageId,
      threadKey: thread.threadKey,
      sender: {
        kind: 'email',
        value: sender,
        ...(parsed.from?.name ? { displayName: parsed.from.name } : {}),
        verified: authenticity.dmarc === 'pass',
      },
      ...(parsed.subject !== undefined ? { subject: parsed.subject } : {}),
      text: text.slice(0, limit),
      ...(parsed.html ? { html: parsed.html.slice(0, limit) } : {}),
      attachments,
      authenticity,
      flags: { ...parsed.flags, ownMessageEcho },
      inReplyTo,
      receivedAt: command.receivedAt.toISOString(),
      metadata,
    } satisfies InboundMessage);
  }

  private async storeAttachments(
    tenantId: string,
    parsed: ParsedMail,
  ): Promise<{ attachments: Attachment[]; problems: string[] }> {
    const attachments: Attachment[] = [];
    const problems: string[] = [];
    for (const attachment of parsed.attachments) {
      const sizeBytes = attachment.content.byteLength;
      let storageKey: string | undefined;
      if (sizeBytes > this.deps.limits.maxAttachmentBytes) {
        // The mail still reaches an agent; the oversized content is not kept (the raw archive has it).
        problems.push(
          `${attachment.filename}: ${sizeBytes} bytes exceed the ${this.deps.limits.maxAttachmentBytes}-byte attachment limit`,
        );
      } else {
        storageKey = contentKey('attachments', tenantId, attachment.content);
        await this.deps.storage.put(storageKey, attachment.content);
      }
      attachments.push({
        filename: attachment.filename,
        contentType: attachment.contentType,
        sizeBytes,
        inline: attachment.inline,
        ...(storageKey ? { storageKey } : {}),
        ...(attachment.contentId ? { contentId: attachment.contentId } : {}),
      });
    }
    return { attachments, problems };
  }

  private async deadLetter(
    command: IngestMailCommand,
    archiveKey: string,
    reason: string,
  ): Promise<void> {
    await this.deps.producer.send(deadLetterTopicOf(this.inboundTopic), [
      {
        key: `${command.tenantId}|email|${archiveKey}`,
        value: JSON.stringify({
          tenantId: command.tenantId,
          channel: 'email',
          source: command.source,
          rawArchiveKey: archiveKey,
          recipients: command.recipients,
          receivedAt: command.receivedAt.toISOString(),
          reason,
        }),
        headers: { 'x-dlq-reason': reason, 'x-dlq-error-type': 'MailParseError' },
      },
    ]);
  }
}
