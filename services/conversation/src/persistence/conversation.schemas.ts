import { type Connection, Schema } from 'mongoose';

/**
 * Collections of the conversation service. Kept to the FerretDB 1.x subset: single-document
 * atomic updates, unique indexes, no partial/TTL indexes, no keys with '.' or '$'.
 */

const identitySchema = new Schema(
  { kind: String, value: String, displayName: String, verified: Boolean },
  { _id: false },
);

export const conversationSchema = new Schema(
  {
    _id: String,
    tenantId: { type: String, required: true },
    channel: { type: String, required: true },
    threadKey: { type: String, required: true },
    subject: String,
    status: { type: String, required: true },
    priority: { type: String, required: true },
    tags: [String],
    contactId: String,
    queueId: String,
    assigneeId: String,
    snoozedUntil: Date,
    recipient: identitySchema,
    lastInboundExternalIds: [String],
    awaitingReplySince: Date,
    sla: Schema.Types.Mixed,
    inboundCount: Number,
    agentReplyCount: Number,
    reopenCount: Number,
    createdAt: Date,
    updatedAt: Date,
    seq: Number,
    /** Outbox: events decided with the last changes and not yet in the log, keyed `e<seq>`. */
    pending: Schema.Types.Mixed,
    pendingCount: Number,
  },
  { versionKey: false, minimize: false, strict: false },
);
conversationSchema.index({ tenantId: 1, channel: 1, threadKey: 1 }, { unique: true });
conversationSchema.index({ tenantId: 1, updatedAt: -1, _id: -1 });
conversationSchema.index({ tenantId: 1, contactId: 1, updatedAt: -1 });
conversationSchema.index({ tenantId: 1, assigneeId: 1, updatedAt: -1 });
conversationSchema.index({ tenantId: 1, queueId: 1, updatedAt: -1 });
conversationSchema.index({ status: 1, snoozedUntil: 1 });
conversationSchema.index({ pendingCount: 1 });

export const messageSchema = new Schema(
  {
    _id: String,
    tenantId: { type: String, required: true },
    conversationId: { type: String, required: true },
    /** Inbound: `in:<channel>:<external id>`; replies and notes: `<kind>:<client request id>`. */
    dedupeKey: { type: String, required: true },
    channel: String,
    direction: { type: String, required: true },
    authorId: String,
    text: String,
    html: String,
    attachments: Schema.Types.Mixed,
    externalId: String,
    deliveryStatus: String,
    flags: Schema.Types.Mixed,
    createdAt: Date,
    /** The conversation event that added it; unset until the change is applied. */
    conversationSeq: Number,
    /** `{code, message}` of a failed or bounced delivery. */
    deliveryError: Schema.Types.Mixed,
    /** The delivery status the conversation's events have announced (see RecordDeliveryStatus). */
    deliveryAnnounced: String,
    editedAt: Date,
    deletedAt: Date,
    /** `{emoji, at}`: the customer's reaction. */
    reaction: Schema.Types.Mixed,
    /** Ids of applied customer changes (edits, deletes, reactions). */
    appliedChanges: [String],
  },
  { versionKey: false, minimize: false },
);
messageSchema.index({ tenantId: 1, dedupeKey: 1 }, { unique: true });
messageSchema.index({ tenantId: 1, conversationId: 1, createdAt: 1 });
// Reactions to agent replies name the platform's id of the reply.
messageSchema.index({ tenantId: 1, channel: 1, externalId: 1 });

export const conversationEventSchema = new Schema(
  {
    /** `<tenant>:<cursor>`. */
    _id: String,
    tenantId: { type: String, required: true },
    cursor: { type: Number, required: true },
    conversationId: { type: String, required: true },
    seq: { type: Number, required: true },
    type: String,
    occurredAt: Date,
    actor: Schema.Types.Mixed,
    triggersRouting: Boolean,
    data: Schema.Types.Mixed,
    messageId: String,
    snapshot: Schema.Types.Mixed,
  },
  { versionKey: false, minimize: false },
);
conversationEventSchema.index({ tenantId: 1, cursor: 1 }, { unique: true });
conversationEventSchema.index({ tenantId: 1, conversationId: 1, seq: 1 }, { unique: true });

/** The newest cursor of each tenant's log: a hint that saves a scan, never the authority. */
export const tenantHeadSchema = new Schema({ _id: String, cursor: Number }, { versionKey: false });

export const contactSchema = new Schema(
  {
    _id: String,
    tenantId: { type: String, required: true },
    displayName: String,
    /** Set when merged into another contact; reads follow it. */
    mergedInto: String,
    createdAt: Date,
    updatedAt: Date,
  },
  { versionKey: false },
);
contactSchema.index({ tenantId: 1, mergedInto: 1 });

export const contactIdentitySchema = new Schema(
  {
    _id: String,
    tenantId: { type: String, required: true },
    kind: { type: String, required: true },
    value: { type: String, required: true },
    verified: Boolean,
    contactId: { type: String, required: true },
    createdAt: Date,
  },
  { versionKey: false },
);
contactIdentitySchema.index({ tenantId: 1, kind: 1, value: 1 }, { unique: true });
contactIdentitySchema.index({ tenantId: 1, contactId: 1 });

export const contactMergeSchema = new Schema(
  {
    _id: String,
    tenantId: { type: String, required: true },
    survivorId: String,
    mergedId: String,
    reason: String,
    actorId: String,
    movedIdentities: Schema.Types.Mixed,
    mergedAt: Date,
    revertedAt: Date,
  },
  { versionKey: false },
);
contactMergeSchema.index({ tenantId: 1, mergedId: 1 });
contactMergeSchema.index({ tenantId: 1, survivorId: 1 });

/**
 * One held lease per key (a tenant's contact merges): the unique index on `key` is the lock, which
 * holds on FerretDB too. `_id` is per acquisition, so clearing an expired lease can never delete
 * the one that replaced it.
 */
const leaseSchema = new Schema(
  {
    _id: { type: String, required: true },
    key: { type: String, required: true },
    expiresAt: { type: Date, required: true },
  },
  { versionKey: false },
);
leaseSchema.index({ key: 1 }, { unique: true });

export function conversationModels(connection: Connection) {
  return {
    conversations: connection.model('Conversation', conversationSchema, 'conversations'),
    messages: connection.model('Message', messageSchema, 'messages'),
    events: connection.model('ConversationEvent', conversationEventSchema, 'conversation_events'),
    tenantHeads: connection.model('TenantHead', tenantHeadSchema, 'tenant_heads'),
    contacts: connection.model('Contact', contactSchema, 'contacts'),
    contactIdentities: connection.model(
      'ContactIdentity',
      contactIdentitySchema,
      'contact_identities',
    ),
    contactMerges: connection.model('ContactMerge', contactMergeSchema, 'contact_merges'),
    leases: connection.model('Lease', leaseSchema, 'leases'),
  };
}
export type ConversationModels = ReturnType<typeof conversationModels>;

/** Creates collections and indexes explicitly at start-up (autoIndex is off in libs/mongo). */
export async function ensureConversationIndexes(models: ConversationModels): Promise<void> {
  for (const model of Object.values(models)) {
    // 48 NamespaceExists: another replica (or an earlier start) created it.
    await model.createCollection().catch((error: unknown) => {
      if ((error as { code?: unknown }).code !== 48) throw error;
    });
    await model.syncIndexes();
  }
}
