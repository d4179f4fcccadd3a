import type { Attachment, Channel } from '@switchboard/events';
import { DuplicateKeyError, translateDuplicateKey } from '@switchboard/mongo';
import type { TenantId } from '../shared/tenant-id';
import type { ConversationModels } from './conversation.schemas';

export type MessageDirection = 'inbound' | 'outbound' | 'note';
export type DeliveryState =
  'received' | 'queued' | 'sent' | 'deferred' | 'delivered' | 'read' | 'failed' | 'bounced';

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
}

export interface MessageRepository {
  /** Inserts the message, or returns the one already stored under its dedupe key. */
  insertOnce(message: StoredMessage): Promise<{ message: StoredMessage; created: boolean }>;
  findById(tenant: TenantId, id: string): Promise<StoredMessage | undefined>;
  /** Records which conversation event added the message (idempotent). */
  markApplied(tenant: TenantId, id: string, conversationSeq: number): Promise<void>;
  listByConversation(tenant: TenantId, conversationId: string): Promise<StoredMessage[]>;
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

  async listByConversation(tenant: TenantId, conversationId: string): Promise<StoredMessage[]> {
    const docs = await this.models.messages
      .find({ tenantId: tenant, conversationId, conversationSeq: { $gt: 0 } })
      .sort({ conversationSeq: 1 })
      .lean<MessageDocument[]>()
      .exec();
    return docs.map(toMessage);
  }
}
