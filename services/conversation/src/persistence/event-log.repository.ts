import { DuplicateKeyError, translateDuplicateKey } from '@switchboard/mongo';
import type { ConversationSnapshot } from '@switchboard/events';
import type { EventActor, PendingEvent } from '../conversations/conversation.model';
import { asTenantId, type TenantId } from '../shared/tenant-id';
import type { ConversationModels } from './conversation.schemas';
import { decodeEventData, encodeEventData } from './event-data-codec';

/** An event in the append-only log, with its place in the tenant-wide order. */
export interface LoggedEvent extends PendingEvent {
  tenantId: TenantId;
  conversationId: string;
  /** Gap-free and increasing per tenant: the resume position of WatchEvents. */
  cursor: number;
}

export interface EventLogRepository {
  /**
   * Appends the event unless (conversation, seq) is already logged; returns its cursor either way.
   * Cursors are assigned by insert (optimistic, unique index), so cursor N is visible before any
   * cursor above it: a reader that has seen N never later finds a new event below N.
   */
  append(tenant: TenantId, conversationId: string, event: PendingEvent): Promise<LoggedEvent>;
  /** Events with cursor > after, in cursor order. */
  readAfter(tenant: TenantId, after: number, limit: number): Promise<LoggedEvent[]>;
  /** The newest cursor of the tenant (0 when the log is empty). */
  head(tenant: TenantId): Promise<number>;
}

interface EventDocument {
  _id: string;
  tenantId: string;
  cursor: number;
  conversationId: string;
  seq: number;
  type: PendingEvent['type'];
  occurredAt: Date;
  actor: EventActor;
  triggersRouting: boolean;
  data: Record<string, string>;
  messageId?: string | null;
  snapshot: ConversationSnapshot;
}

function toLogged(doc: EventDocument): LoggedEvent {
  return {
    tenantId: asTenantId(doc.tenantId),
    conversationId: doc.conversationId,
    cursor: doc.cursor,
    seq: doc.seq,
    type: doc.type,
    occurredAt: new Date(doc.occurredAt),
    actor: doc.actor,
    triggersRouting: doc.triggersRouting,
    data: decodeEventData(doc.data),
    messageId: doc.messageId ?? undefined,
    snapshot: doc.snapshot,
  };
}

const eventDocumentId = (tenant: TenantId, cursor: number): string => `${tenant}:${cursor}`;

export class MongoEventLogRepository implements EventLogRepository {
  constructor(private readonly models: ConversationModels) {}

  async append(
    tenant: TenantId,
    conversationId: string,
    event: PendingEvent,
  ): Promise<LoggedEvent> {
    let cursor = (await this.head(tenant)) + 1;
    for (let attempt = 0; ; attempt += 1) {
      if (attempt > 10_000)
        throw new Error(`could not append event ${conversationId}:${event.seq}`);
      const doc: EventDocument = {
        _id: eventDocumentId(tenant, cursor),
        tenantId: tenant,
        cursor,
        conversationId,
        seq: event.seq,
        type: event.type,
        occurredAt: event.occurredAt,
        actor: event.actor,
        triggersRouting: event.triggersRouting,
        data: encodeEventData(event.data),
        messageId: event.messageId ?? null,
        snapshot: JSON.parse(JSON.stringify(event.snapshot)) as ConversationSnapshot,
      };
      try {
        await translateDuplicateKey(
          () => this.models.events.collection.insertOne(doc as never),
          'conversation_events',
        );
        await this.advanceHead(tenant, cursor);
        return toLogged(doc);
      } catch (error) {
        if (!(error instanceof DuplicateKeyError)) throw error;
      }
      // Either the cursor is taken (probe the next one) or this event is logged already.
      const occupant = await this.models.events
        .findOne({ _id: eventDocumentId(tenant, cursor) })
        .lean<EventDocument>()
        .exec();
      if (occupant && occupant.conversationId === conversationId && occupant.seq === event.seq) {
        return toLogged(occupant);
      }
      if (!occupant) {
        const logged = await this.models.events
          .findOne({ tenantId: tenant, conversationId, seq: event.seq })
          .lean<EventDocument>()
          .exec();
        if (logged) return toLogged(logged);
        continue; // the occupant was never there (a lost race on the index): try again
      }
      cursor += 1;
    }
  }

  async readAfter(tenant: TenantId, after: number, limit: number): Promise<LoggedEvent[]> {
    const docs = await this.models.events
      .find({ tenantId: tenant, cursor: { $gt: after } })
      .sort({ cursor: 1 })
      .limit(limit)
      .lean<EventDocument[]>()
      .exec();
    return docs.map(toLogged);
  }

  async head(tenant: TenantId): Promise<number> {
    const head = await this.models.tenantHeads
      .findOne({ _id: tenant })
      .lean<{ _id: string; cursor: number }>()
      .exec();
    let cursor = head?.cursor ?? 0;
    // The hint may lag behind (a writer crashed after its insert): walk forward to the real head.
    for (;;) {
      const nextExists = await this.models.events.exists({
        _id: eventDocumentId(tenant, cursor + 1),
      });
      if (!nextExists) return cursor;
      cursor += 1;
    }
  }

  private async advanceHead(tenant: TenantId, cursor: number): Promise<void> {
    try {
      await translateDuplicateKey(
        () =>
          this.models.tenantHeads.collection.updateOne(
            { _id: tenant, cursor: { $lt: cursor } },
            { $set: { cursor } },
            { upsert: true },
          ),
        'tenant_heads',
      );
    } catch (error) {
      // The head exists with a cursor >= ours (the upsert's insert collided): nothing to do.
      if (!(error instanceof DuplicateKeyError)) throw error;
    }
  }
}
