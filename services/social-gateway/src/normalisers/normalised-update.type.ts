import type { Attachment, InboundMessage } from '@switchboard/events';
import type { SocialChannel } from '../config/social-accounts.config';

/** An inbound envelope before the gateway knows the tenant and assigns our message id. */
export type InboundDraft = Omit<InboundMessage, 'schemaVersion' | 'tenantId' | 'messageId'>;

/** A platform's report about a message we sent, keyed by the platform's id for it. */
export interface StatusDraft {
  externalMessageId: string;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  occurredAt: string;
  errorCode?: string;
  errorMessage?: string;
}

/**
 * Messenger, Instagram and X report reads per thread, not per message: "everything sent in this
 * thread up to `watermark`" (Messenger), or "up to the message `lastReadExternalMessageId`"
 * (Instagram, X). When that message is one of ours, its recorded send time is the precise
 * watermark; otherwise `watermark` is the normaliser's best estimate of it.
 */
export interface ReadWatermarkDraft {
  threadKey: string;
  watermark: string;
  /** When the customer read (the statuses' occurredAt). */
  readAt: string;
  lastReadExternalMessageId?: string;
}

/**
 * What one item of a webhook payload turned out to be. Only `message`, `status` and
 * `read-watermark` produce events; the others are acknowledged and counted.
 */
export type NormalisedUpdate =
  | { outcome: 'message'; channel: SocialChannel; accountId: string; message: InboundDraft }
  | { outcome: 'status'; channel: SocialChannel; accountId: string; status: StatusDraft }
  | {
      outcome: 'read-watermark';
      channel: SocialChannel;
      accountId: string;
      read: ReadWatermarkDraft;
    }
  /** Our own sends, reflected back by the platform: never a customer message. */
  | { outcome: 'echo'; reason: string }
  /** A known kind of update that is not a customer message (account, template, call events …). */
  | { outcome: 'ignored'; reason: string }
  /** Something this gateway does not recognise: acknowledged, but logged and counted. */
  | { outcome: 'unknown'; reason: string };

export type UpdateOutcome = NormalisedUpdate['outcome'];

/** Turns one verified, parsed webhook body into updates; never throws on unexpected shapes. */
export type WebhookNormaliser = (payload: unknown, receivedAt: Date) => NormalisedUpdate[];

/** Thread key of a one-to-one conversation between one of our accounts and one customer. */
export function socialThreadKey(accountId: string, customerId: string): string {
  return `${accountId}:${customerId}`;
}

/** The inverse of socialThreadKey (platform account ids never contain ":"). */
export function parseSocialThreadKey(
  threadKey: string,
): { accountId: string; customerId: string } | undefined {
  const separator = threadKey.indexOf(':');
  if (separator <= 0 || separator === threadKey.length - 1) return undefined;
  return { accountId: threadKey.slice(0, separator), customerId: threadKey.slice(separator + 1) };
}

export function mediaAttachment(fields: {
  contentType?: string;
  filename?: string;
  sizeBytes?: number;
  platformMediaId?: string;
  platformMediaUrl?: string;
}): Attachment {
  return {
    filename: fields.filename ?? '',
    contentType: fields.contentType ?? 'application/octet-stream',
    sizeBytes: fields.sizeBytes ?? 0,
    inline: false,
    ...(fields.platformMediaId !== undefined && { platformMediaId: fields.platformMediaId }),
    ...(fields.platformMediaUrl !== undefined && { platformMediaUrl: fields.platformMediaUrl }),
  };
}

/** Defaults every social draft shares; the webhook was signed by the platform. */
export function draftDefaults(): Pick<
  InboundDraft,
  'attachments' | 'authenticity' | 'flags' | 'inReplyTo' | 'metadata'
> {
  return {
    attachments: [],
    authenticity: { webhookSignature: 'pass' },
    flags: { autoReply: false, bounce: false, bulk: false, ownMessageEcho: false },
    inReplyTo: [],
    metadata: {},
  };
}
