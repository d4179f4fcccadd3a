import { translateDuplicateKey, DuplicateKeyError } from '@switchboard/mongo';
import type { Channel, ConversationSnapshot, SenderIdentity } from '@switchboard/events';
import type {
  Conversation,
  ConversationStatus,
  EventActor,
  PendingEvent,
  PlannedChange,
  Priority,
  SlaClocks,
} from '../conversations/conversation.model';
import { asTenantId, type TenantId } from '../shared/tenant-id';
import type { ConversationModels } from './conversation.schemas';
import { decodeEventData, encodeEventData } from './event-data-codec';

export interface ConversationFilter {
  statuses?: ConversationStatus[];
  queueId?: string;
  /** Also used by agent visibility: assignee OR one of these queues. */
  assigneeId?: string;
  channel?: Channel;
  tag?: string;
  contactIds?: string[];
  updatedSince?: Date;
  /** Restricts to conversations an agent may see: assigned to them or in one of their queues. */
  visibleTo?: { agentId: string; queueIds: readonly string[] };
}

/** Keyset position: the last item of the previous page in (updatedAt desc, id desc) order. */
export interface ListPosition {
  updatedAt: Date;
  id: string;
}

export interface ConversationRepository {
  findById(tenant: TenantId, id: string): Promise<Conversation | undefined>;
  /** Inserts the conversation unless one with its id exists; returns the stored one either way. */
  createIfAbsent(conversation: Conversation): Promise<Conversation>;
  /**
   * Writes the change and its events in one atomic update, only if nobody changed the
   * conversation since it was read (its seq is still `change.next.seq - events.length`).
   * False means: re-read and decide again.
   */
  commit(tenant: TenantId, change: PlannedChange): Promise<boolean>;
  /** Removes an event from the outbox once it is in the log and on Kafka. */
  forgetPendingEvent(tenant: TenantId, conversationId: string, seq: number): Promise<void>;
  list(
    tenant: TenantId,
    filter: ConversationFilter,
    after: ListPosition | undefined,
    limit: number,
  ): Promise<Conversation[]>;
  /** System scans across tenants (snooze waker, outbox sweeper, SLA timer). */
  findSnoozedDue(now: Date, limit: number): Promise<Array<{ tenantId: TenantId; id: string }>>;
  findWithPendingEvents(limit: number): Promise<Array<{ tenantId: TenantId; id: string }>>;
  findSlaDue(now: Date, limit: number): Promise<Array<{ tenantId: TenantId; id: string }>>;
}

interface StoredPendingEvent {
  seq: number;
  type: PendingEvent['type'];
  occurredAt: Date;
  actor: EventActor;
  triggersRouting: boolean;
  data: Record<string, string>;
  messageId?: string | null;
  snapshot: ConversationSnapshot;
}

interface ConversationDocument {
  _id: string;
  tenantId: string;
  channel: Channel;
  threadKey: string;
  subject?: string | null;
  status: ConversationStatus;
  priority: Priority;
  tags: string[];
  contactId: string;
  queueId?: string | null;
  assigneeId?: string | null;
  snoozedUntil?: Date | null;
  recipient: SenderIdentity;
  lastInboundExternalIds: string[];
  awaitingReplySince?: Date | null;
  sla: SlaClocks;
  inboundCount: number;
  agentReplyCount: number;
  reopenCount: number;
  createdAt: Date;
  updatedAt: Date;
  seq: number;
  pending: Record<string, StoredPendingEvent>;
  pendingCount: number;
}

const pendingKey = (seq: number): string => `e${seq}`;

function orUndefined<T>(value: T | null | undefined): T | undefined {
  return value ?? undefined;
}

function toConversation(doc: ConversationDocument): Conversation {
  const pending = Object.values(doc.pending ?? {})
    .map((event): PendingEvent => ({
      seq: event.seq,
      type: event.type,
      occurredAt: new Date(event.occurredAt),
      actor: event.actor,
      triggersRouting: event.triggersRouting,
      data: decodeEventData(event.data),
      messageId: orUndefined(event.messageId),
      snapshot: event.snapshot,
    }))
    .sort((a, b) => a.seq - b.seq);
  return {
    id: doc._id,
    tenantId: asTenantId(doc.tenantId),
    channel: doc.channel,
    threadKey: doc.threadKey,
    subject: orUndefined(doc.subject),
    status: doc.status,
    priority: doc.priority,
    tags: doc.tags ?? [],
    contactId: doc.contactId,
    queueId: orUndefined(doc.queueId),
    assigneeId: orUndefined(doc.assigneeId),
    snoozedUntil: orUndefined(doc.snoozedUntil),
    recipient: doc.recipient,
    lastInboundExternalIds: doc.lastInboundExternalIds ?? [],
    awaitingReplySince: orUndefined(doc.awaitingReplySince),
    sla: { ...(doc.sla ?? {}), breached: doc.sla?.breached ?? [] },
    inboundCount: doc.inboundCount ?? 0,
    agentReplyCount: doc.agentReplyCount ?? 0,
    reopenCount: doc.reopenCount ?? 0,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    seq: doc.seq,
    pending,
  };
}

function storedEvent(event: PendingEvent): StoredPendingEvent {
  return {
    seq: event.seq,
    type: event.type,
    occurredAt: event.occurredAt,
    actor: event.actor,
    triggersRouting: event.triggersRouting,
    data: encodeEventData(event.data),
    messageId: event.messageId ?? null,
    snapshot: JSON.parse(JSON.stringify(event.snapshot)) as ConversationSnapshot,
  };
}

/** Mutable fields as stored; undefined becomes null so that $set clears them. */
function mutableFields(conversation: Conversation): Record<string, unknown> {
  return {
    subject: conversation.subject ?? null,
    status: conversation.status,
    priority: conversation.priority,
    tags: conversation.tags,
    contactId: conversation.contactId,
    queueId: conversation.queueId ?? null,
    assigneeId: conversation.assigneeId ?? null,
    snoozedUntil: conversation.snoozedUntil ?? null,
    recipient: conversation.recipient,
    lastInboundExternalIds: conversation.lastInboundExternalIds,
    awaitingReplySince: conversation.awaitingReplySince ?? null,
    sla: slaFields(conversation.sla),
    inboundCount: conversation.inboundCount,
    agentReplyCount: conversation.agentReplyCount,
    reopenCount: conversation.reopenCount,
    updatedAt: conversation.updatedAt,
    seq: conversation.seq,
  };
}

function slaFields(sla: SlaClocks): Record<string, unknown> {
  // Only defined keys: FerretDB and MongoDB both store `undefined` inconsistently.
  return Object.fromEntries(Object.entries(sla).filter(([, value]) => value !== undefined));
}

export class MongoConversationRepository implements ConversationRepository {
  constructor(private readonly models: ConversationModels) {}

  async findById(tenant: TenantId, id: string): Promise<Conversation | undefined> {
    const doc = await this.models.conversations
      .findOne({ _id: id, tenantId: tenant })
      .lean<ConversationDocument>()
      .exec();
    return doc ? toConversation(doc) : undefined;
  }

  async createIfAbsent(conversation: Conversation): Promise<Conversation> {
    const pending = Object.fromEntries(
      conversation.pending.map((event) => [pendingKey(event.seq), storedEvent(event)]),
    );
    const insert = {
      _id: conversation.id,
      tenantId: conversation.tenantId,
      channel: conversation.channel,
      threadKey: conversation.threadKey,
      createdAt: conversation.createdAt,
      ...mutableFields(conversation),
      pending,
      pendingCount: conversation.pending.length,
    };
    try {
      await translateDuplicateKey(
        () =>
          this.models.conversations.collection.updateOne(
            { _id: conversation.id as never },
            { $setOnInsert: insert },
            { upsert: true },
          ),
        'conversations',
      );
    } catch (error) {
      // Two first messages of one thread raced: the other insert won, which is what we want.
      if (!(error instanceof DuplicateKeyError)) throw error;
    }
    const stored = await this.findById(conversation.tenantId, conversation.id);
    if (!stored) throw new Error(`conversation ${conversation.id} vanished after its upsert`);
    return stored;
  }

  async commit(tenant: TenantId, change: PlannedChange): Promise<boolean> {
    const expectedSeq = change.next.seq - change.events.length;
    const set: Record<string, unknown> = mutableFields(change.next);
    for (const event of change.events) set[`pending.${pendingKey(event.seq)}`] = storedEvent(event);
    const result = await this.models.conversations.collection.updateOne(
      { _id: change.next.id as never, tenantId: tenant, seq: expectedSeq },
      { $set: set, $inc: { pendingCount: change.events.length } },
    );
    return result.matchedCount === 1;
  }

  async forgetPendingEvent(tenant: TenantId, conversationId: string, seq: number): Promise<void> {
    const key = `pending.${pendingKey(seq)}`;
    // Guarded by $exists so that concurrent flushers decrement the count once.
    await this.models.conversations.collection.updateOne(
      { _id: conversationId as never, tenantId: tenant, [key]: { $exists: true } },
      { $unset: { [key]: '' }, $inc: { pendingCount: -1 } },
    );
  }

  async list(
    tenant: TenantId,
    filter: ConversationFilter,
    after: ListPosition | undefined,
    limit: number,
  ): Promise<Conversation[]> {
    const and: Record<string, unknown>[] = [{ tenantId: tenant }];
    if (filter.statuses?.length) and.push({ status: { $in: filter.statuses } });
    if (filter.queueId) and.push({ queueId: filter.queueId });
    if (filter.assigneeId) and.push({ assigneeId: filter.assigneeId });
    if (filter.channel) and.push({ channel: filter.channel });
    if (filter.tag) and.push({ tags: filter.tag });
    if (filter.contactIds) and.push({ contactId: { $in: filter.contactIds } });
    if (filter.updatedSince) and.push({ updatedAt: { $gte: filter.updatedSince } });
    if (filter.visibleTo) {
      and.push({
        $or: [
          { assigneeId: filter.visibleTo.agentId },
          { queueId: { $in: [...filter.visibleTo.queueIds] } },
        ],
      });
    }
    if (after) {
      and.push({
        $or: [
          { updatedAt: { $lt: after.updatedAt } },
          { updatedAt: after.updatedAt, _id: { $lt: after.id } },
        ],
      });
    }
    const docs = await this.models.conversations
      .find({ $and: and })
      .sort({ updatedAt: -1, _id: -1 })
      .limit(limit)
      .lean<ConversationDocument[]>()
      .exec();
    return docs.map(toConversation);
  }

  async findSnoozedDue(now: Date, limit: number) {
    return this.scan({ status: 'snoozed', snoozedUntil: { $lte: now } }, limit);
  }

  async findWithPendingEvents(limit: number) {
    return this.scan({ pendingCount: { $gt: 0 } }, limit);
  }

  async findSlaDue(now: Date, limit: number) {
    return this.scan(
      {
        status: { $ne: 'resolved' },
        $or: [
          { 'sla.firstResponseDueAt': { $lte: now } },
          { 'sla.nextResponseDueAt': { $lte: now } },
          { 'sla.resolutionDueAt': { $lte: now } },
        ],
      },
      limit,
    );
  }

  private async scan(query: Record<string, unknown>, limit: number) {
    const docs = await this.models.conversations
      .find(query, { _id: 1, tenantId: 1 })
      .limit(limit)
      .lean<Array<{ _id: string; tenantId: string }>>()
      .exec();
    return docs.map((doc) => ({ tenantId: asTenantId(doc.tenantId), id: doc._id }));
  }
}
