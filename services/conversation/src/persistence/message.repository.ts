import type { Attachment, Channel } from '@switchboard/events';
import { DuplicateKeyError, translateDuplicateKey } from '@switchboard/mongo';
import type { TenantId } from '../shared/tenant-id';
import type { ConversationModels } from './conversation.schemas';

export type MessageDirection = 'inbound' | 'outbound' | 'note';
export const DELIVERY_STATES = [
  'received',
  'queued',
  'sent',
  'deferred',
  'delivered',
  'read',
  'failed',
  'bounced',
] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export function isDeliveryState(value: string | undefined): value is DeliveryState {
  return (DELIVERY_STATES as readonly (string | undefined)[]).includes(value);
}

export interface StoredMessage {
  id: string;
  tenantId: TenantId;
  conversationId: string;
  dedupeKey: string;
  channel: Channel;
  direction: MessageDirection;
  authorId: string;
  text: string;
  html?: string;
  attachments: Attachment[];
  externalId?: string;
  deliveryStatus: DeliveryState;
  flags?: Record<string, boolean>;
  createdAt: Date;
  conversationSeq?: number;
  /** Why the channel could not deliver it (a `failed` or `bounced` status). */
  deliveryError?: { code?: string; message?: string };
  /**
   * The delivery status a `message_status_changed` event has announced. Set by the outbox before
   * it forgets the event, so a redelivered status finds either the pending event or this.
   */
  deliveryAnnounced?: DeliveryState;
  /** Set when the customer edited the message (its latest edit's time). */
  editedAt?: Date;
  /** Set when the customer deleted it; its content is gone then. */
  deletedAt?: Date;
  /**
   * The customer's reaction; absent or `emoji: ""` when there is none. `contactId` is who reacted
   * (unset on reactions stored before it was recorded).
   */
  reaction?: { emoji: string; at: Date; contactId?: string };
  /** Ids of the customer changes applied to it (redeliveries are recognised by them). */
  appliedChanges?: string[];
}

/** A customer's change of an earlier message, as its event announced it. */
export type CustomerChange =
  | { kind: 'edit'; changeId: string; at: Date; text: string }
  | { kind: 'delete'; changeId: string; at: Date }
  | { kind: 'reaction'; changeId: string; at: Date; emoji: string; contactId: string };

/** A delivery status to record, only over one of the states in `replaces`. */
export interface DeliveryStatusUpdate {
  status: DeliveryState;
  replaces: readonly DeliveryState[];
  error?: { code?: string; message?: string };
  /** The channel's id, recorded when the message has none yet. */
  externalId?: string;
}

export interface MessageRepository {
  /** Inserts the message, or returns the one already stored under its dedupe key. */
  insertOnce(message: StoredMessage): Promise<{ message: StoredMessage; created: boolean }>;
  findById(tenant: TenantId, id: string): Promise<StoredMessage | undefined>;
  /** Records which conversation event added the message (idempotent). */
  markApplied(tenant: TenantId, id: string, conversationSeq: number): Promise<void>;
  listByConversation(tenant: TenantId, conversationId: string): Promise<StoredMessage[]>;
  /** Conditional: changes nothing unless the message is in one of `update.replaces`. */
  advanceDeliveryStatus(tenant: TenantId, id: string, update: DeliveryStatusUpdate): Promise<void>;
  markDeliveryAnnounced(tenant: TenantId, id: string, status: DeliveryState): Promise<void>;
  /** A message by the channel's own id (agent replies get theirs from the delivery status). */
  findByExternalId(
    tenant: TenantId,
    channel: Channel,
    externalId: string,
  ): Promise<StoredMessage | undefined>;
  /**
   * Applies a customer's change, then records its id. Idempotent; an edit or reaction older than
   * the one applied leaves the content alone, and nothing revives a deleted message.
   */
  applyCustomerChange(tenant: TenantId, id: string, change: CustomerChange): Promise<void>;
}

interface MessageDocument extends Omit<StoredMessage, 'id' | 'tenantId'> {
  _id: string;
  tenantId: string;
}

function toMessage(doc: MessageDocument): StoredMessage {
  const { _id, tenantId, ...rest } = doc;
  return {
    ...rest,
    id: _id,
    tenantId: tenantId as TenantId,
    html: rest.html ?? undefined,
    externalId: rest.externalId ?? undefined,
    conversationSeq: rest.conversationSeq ?? undefined,
    attachments: rest.attachments ?? [],
    deliveryError: rest.deliveryError ?? undefined,
    deliveryAnnounced: rest.deliveryAnnounced ?? undefined,
    editedAt: rest.editedAt ?? undefined,
    deletedAt: rest.deletedAt ?? undefined,
    reaction: rest.reaction ?? undefined,
    appliedChanges: rest.appliedChanges ?? [],
  };
}

export class MongoMessageRepository implements MessageRepository {
  constructor(private readonly models: ConversationModels) {}

  async insertOnce(message: StoredMessage): Promise<{ message: StoredMessage; created: boolean }> {
    const { id, ...rest } = message;
    try {
      await translateDuplicateKey(
        () => this.models.messages.collection.insertOne({ _id: id as never, ...rest }),
        'messages',
      );
      return { message, created: true };
    } catch (error) {
      if (!(error instanceof DuplicateKeyError)) throw error;
    }
    const existing = await this.models.messages
      .findOne({ tenantId: message.tenantId, dedupeKey: message.dedupeKey })
      .lean<MessageDocument>()
      .exec();
    if (!existing) throw new Error(`message ${message.dedupeKey} is a duplicate but was not found`);
    return { message: toMessage(existing), created: false };
  }

  async findById(tenant: TenantId, id: string): Promise<StoredMessage | undefined> {
    const doc = await this.models.messages
      .findOne({ _id: id, tenantId: tenant })
      .lean<MessageDocument>()
      .exec();
    return doc ? toMessage(doc) : undefined;
  }

  async markApplied(tenant: TenantId, id: string, conversationSeq: number): Promise<void> {
    await this.models.messages.collection.updateOne(
      { _id: id as never, tenantId: tenant },
      { $set: { conversationSeq } },
    );
  }

  async advanceDeliveryStatus(
    tenant: TenantId,
    id: string,
    update: DeliveryStatusUpdate,
  ): Promise<void> {
    const set: Record<string, unknown> = { deliveryStatus: update.status };
    if (update.error) set['deliveryError'] = update.error;
    await this.models.messages.collection.updateOne(
      { _id: id as never, tenantId: tenant, deliveryStatus: { $in: [...update.replaces] } },
      { $set: set },
    );
    if (update.externalId) {
      await this.models.messages.collection.updateOne(
        { _id: id as never, tenantId: tenant, externalId: null },
        { $set: { externalId: update.externalId } },
      );
    }
  }

  async markDeliveryAnnounced(tenant: TenantId, id: string, status: DeliveryState): Promise<void> {
    await this.models.messages.collection.updateOne(
      { _id: id as never, tenantId: tenant },
      { $set: { deliveryAnnounced: status } },
    );
  }

  async findByExternalId(
    tenant: TenantId,
    channel: Channel,
    externalId: string,
  ): Promise<StoredMessage | undefined> {
    const doc = await this.models.messages
      .findOne({ tenantId: tenant, channel, externalId })
      .lean<MessageDocument>()
      .exec();
    return doc ? toMessage(doc) : undefined;
  }

  async applyCustomerChange(tenant: TenantId, id: string, change: CustomerChange): Promise<void> {
    const notDeleted = { deletedAt: null };
    const collection = this.models.messages.collection;
    const target = { _id: id as never, tenantId: tenant };
    switch (change.kind) {
      case 'edit':
        await collection.updateOne(
          { ...target, ...notDeleted, $or: [{ editedAt: null }, { editedAt: { $lt: change.at } }] },
          { $set: { text: change.text, editedAt: change.at }, $unset: { html: '' } },
        );
        break;
      case 'delete':
        // The customer took it back: its content goes; the record that it existed stays.
        await collection.updateOne(target, {
          $set: { deletedAt: change.at, text: '', attachments: [] },
          $unset: { html: '' },
        });
        break;
      case 'reaction':
        await collection.updateOne(
          {
            ...target,
            ...notDeleted,
            $or: [{ reaction: null }, { 'reaction.at': { $lt: change.at } }],
          },
          {
            $set: { reaction: { emoji: change.emoji, at: change.at, contactId: change.contactId } },
          },
        );
        break;
    }
    await collection.updateOne(target, { $addToSet: { appliedChanges: change.changeId } });
  }

  async listByConversation(tenant: TenantId, conversationId: string): Promise<StoredMessage[]> {
    const docs = await this.models.messages
      .find({ tenantId: tenant, conversationId, conversationSeq: { $gt: 0 } })
      .sort({ conversationSeq: 1 })
      .lean<MessageDocument[]>()
      .exec();
    return docs.map(toMessage);
  }
}
