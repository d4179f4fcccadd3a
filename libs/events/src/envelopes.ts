import { z } from 'zod';

/**
 * The JSON envelopes that travel on Kafka between services. Every envelope names its tenant and
 * its schema version; consumers validate what they read with these schemas, and a message that
 * does not validate goes to the dead-letter topic with the validation error as its reason.
 */

export const CHANNELS = [
  'email',
  'chat',
  'messenger',
  'instagram',
  'whatsapp',
  'telegram',
  'x',
] as const;
export const channelSchema = z.enum(CHANNELS);
export type Channel = z.infer<typeof channelSchema>;

const isoTimestamp = z.iso.datetime({ offset: true });
const nonEmpty = z.string().min(1);

/** How the sender is known on their channel; `verified` means the channel vouched for it. */
export const senderIdentitySchema = z.object({
  kind: z.enum(['email', 'chat_visitor', 'platform_user', 'phone']),
  value: nonEmpty,
  displayName: z.string().optional(),
  verified: z.boolean(),
});
export type SenderIdentity = z.infer<typeof senderIdentitySchema>;

export const attachmentSchema = z.object({
  filename: z.string(),
  contentType: z.string(),
  sizeBytes: z.number().int().nonnegative(),
  /** Where the content is kept (storage interface key), when the gateway stored it. */
  storageKey: z.string().optional(),
  /** The platform's own media id, when the content stays on the platform until fetched. */
  platformMediaId: z.string().optional(),
  /** Where the platform serves the content, when it gives a URL instead of (or with) an id. */
  platformMediaUrl: z.string().optional(),
  /** Content-ID of an inline image (cid: URLs in the HTML). */
  contentId: z.string().optional(),
  inline: z.boolean().default(false),
});
export type Attachment = z.infer<typeof attachmentSchema>;

/** Signals that a message must never start routing or auto-responses (loops, bounces, bulk). */
export const messageFlagsSchema = z.object({
  autoReply: z.boolean().default(false),
  bounce: z.boolean().default(false),
  bulk: z.boolean().default(false),
  ownMessageEcho: z.boolean().default(false),
});

/** What an inbound event is; absent means an ordinary message. */
export const INBOUND_EVENT_KINDS = ['message', 'reaction', 'edit', 'delete'] as const;
export const inboundEventKindSchema = z.enum(INBOUND_EVENT_KINDS);
export type InboundEventKind = z.infer<typeof inboundEventKindSchema>;

/** A place the customer shared (social channels). */
export const sharedLocationSchema = z.object({
  latitude: z.number(),
  longitude: z.number(),
  name: z.string().optional(),
  address: z.string().optional(),
  url: z.string().optional(),
});

/** A contact card the customer shared (social channels). */
export const sharedContactSchema = z.object({
  name: z.string(),
  phones: z.array(z.string()).default([]),
  emails: z.array(z.string()).default([]),
});

/** The customer tapped something we offered: a quick reply, a button, a list row, a postback. */
export const interactiveReplySchema = z.object({
  kind: z.enum(['quick_reply', 'button', 'list', 'postback', 'flow']),
  payload: z.string(),
  title: z.string().optional(),
});

export const inboundMessageSchema = z.object({
  schemaVersion: z.literal(1),
  tenantId: nonEmpty,
  /** Our id for this message, assigned by the gateway. */
  messageId: nonEmpty,
  channel: channelSchema,
  /** The channel's id for the message: dedupe key together with the channel. */
  externalMessageId: nonEmpty,
  /** Threads the message into a conversation; meaning depends on the channel. */
  threadKey: nonEmpty,
  sender: senderIdentitySchema,
  subject: z.string().optional(),
  text: z.string(),
  /** Already sanitised by the gateway; never raw customer HTML. */
  html: z.string().optional(),
  attachments: z.array(attachmentSchema).default([]),
  /** Channel-specific authenticity results (e.g. SPF/DKIM/DMARC, webhook signature). */
  authenticity: z.record(z.string(), z.string()).default({}),
  flags: messageFlagsSchema.default({
    autoReply: false,
    bounce: false,
    bulk: false,
    ownMessageEcho: false,
  }),
  /** Message ids this one replies to (email In-Reply-To/References, platform reply-to). */
  inReplyTo: z.array(z.string()).default([]),
  receivedAt: isoTimestamp,
  /** Channel extras that routing may use (pre-chat topic, page id …); string values only. */
  metadata: z.record(z.string(), z.string()).default({}),
  /** Reactions, edits and deletes refer to an earlier message; absent means "message". */
  kind: inboundEventKindSchema.optional(),
  /** The external id of the message a reaction, edit or delete applies to. */
  targetExternalMessageId: z.string().optional(),
  /** For reactions: the emoji; an empty string means the reaction was removed. */
  reactionEmoji: z.string().optional(),
  location: sharedLocationSchema.optional(),
  sharedContacts: z.array(sharedContactSchema).optional(),
  interactiveReply: interactiveReplySchema.optional(),
});
export type InboundMessage = z.infer<typeof inboundMessageSchema>;

export const outboundMessageSchema = z.object({
  schemaVersion: z.literal(1),
  tenantId: nonEmpty,
  /** Our id of the reply; gateways use it as their idempotency key. */
  messageId: nonEmpty,
  conversationId: nonEmpty,
  channel: channelSchema,
  threadKey: nonEmpty,
  recipient: senderIdentitySchema,
  authorAgentId: nonEmpty,
  subject: z.string().optional(),
  text: z.string(),
  html: z.string().optional(),
  attachments: z.array(attachmentSchema).default([]),
  /** External ids of the customer's messages this replies to, for threading on the channel. */
  inReplyTo: z.array(z.string()).default([]),
  createdAt: isoTimestamp,
  /**
   * A pre-approved platform template (WhatsApp): the only kind of message a business may send
   * outside the 24-hour customer-service window. `text` is then only the agent-facing rendering.
   */
  template: z
    .object({
      name: nonEmpty,
      languageCode: nonEmpty,
      /** Body parameters, in order ({{1}}, {{2}} …). */
      bodyParameters: z.array(z.string()).default([]),
    })
    .optional(),
});
export type OutboundMessage = z.infer<typeof outboundMessageSchema>;

export const deliveryStatusSchema = z.object({
  schemaVersion: z.literal(1),
  tenantId: nonEmpty,
  messageId: nonEmpty,
  conversationId: nonEmpty,
  channel: channelSchema,
  status: z.enum(['sent', 'deferred', 'delivered', 'read', 'failed', 'bounced']),
  /** The channel's id for the delivered message, when it assigned one. */
  externalMessageId: z.string().optional(),
  /** The platform's or relay's error code and text, for failures. */
  errorCode: z.string().optional(),
  errorMessage: z.string().optional(),
  occurredAt: isoTimestamp,
});
export type DeliveryStatus = z.infer<typeof deliveryStatusSchema>;

/** A validation failure, worded for a dead-letter reason header. */
export class EnvelopeValidationError extends Error {
  constructor(envelope: string, issues: string) {
    super(`invalid ${envelope}: ${issues}`);
    this.name = 'EnvelopeValidationError';
  }
}

/** Parses JSON bytes into a validated envelope, or throws an EnvelopeValidationError. */
export function decodeEnvelope<Schema extends z.ZodType>(
  name: string,
  schema: Schema,
  bytes: Buffer | string | null,
): z.infer<Schema> {
  if (bytes === null) throw new EnvelopeValidationError(name, 'empty message value');
  let json: unknown;
  try {
    json = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch {
    throw new EnvelopeValidationError(name, 'value is not JSON');
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    throw new EnvelopeValidationError(name, issues);
  }
  return result.data;
}

export function encodeEnvelope(envelope: object): string {
  return JSON.stringify(envelope);
}

/** Partition key of everything about one thread: keeps a conversation's messages in order. */
export function threadPartitionKey(tenantId: string, channel: Channel, threadKey: string): string {
  return `${tenantId}|${channel}|${threadKey}`;
}
