import type { RoutingDecisionEvent } from '@switchboard/events';
import { DuplicateKeyError, translateDuplicateKey } from '@switchboard/mongo';
import { type Connection, type Model, Schema } from 'mongoose';
import type { TenantId } from '../configuration/tenant-id';

/** A routing decision as published, as the decision log keeps it. */
export interface LoggedDecision {
  tenantId: string;
  decisionId: string;
  conversationId: string;
  queueId: string;
  type: RoutingDecisionEvent['type'];
  agentId?: string;
  decidedAt: Date;
  offerExpiresAt?: Date;
  reason: string;
  rules: string[];
  strategy?: string;
  candidates: { agentId: string; chosen: boolean; reason: string }[];
  /**
   * On the first `offered` or `assigned` decision after a `queued` one: how long the conversation
   * waited for an agent, in milliseconds (from the `queued` decision to this one).
   */
  waitMs?: number;
  /** Kafka partition and offset: orders decisions of one conversation made in the same millisecond. */
  partition: number;
  offset: number;
}

const candidateSchema = new Schema(
  { agentId: String, chosen: Boolean, reason: String },
  { _id: false },
);

const decisionSchema = new Schema<LoggedDecision>(
  {
    tenantId: { type: String, required: true },
    decisionId: { type: String, required: true },
    conversationId: { type: String, required: true },
    queueId: { type: String, required: true },
    type: { type: String, required: true },
    agentId: String,
    decidedAt: { type: Date, required: true },
    offerExpiresAt: Date,
    reason: { type: String, default: '' },
    rules: { type: [String], default: [] },
    strategy: String,
    candidates: { type: [candidateSchema], default: [] },
    waitMs: Number,
    partition: { type: Number, required: true },
    offset: { type: Number, required: true },
  },
  { versionKey: false },
);
// Redelivered decisions store nothing twice.
decisionSchema.index({ tenantId: 1, decisionId: 1 }, { unique: true });
// ExplainDecision by conversation, newest first.
decisionSchema.index({ tenantId: 1, conversationId: 1, decidedAt: -1 });
// Recent waits and offers of a queue.
decisionSchema.index({ tenantId: 1, queueId: 1, decidedAt: -1 });
// Retention: the oldest decisions of every tenant go first.
decisionSchema.index({ decidedAt: 1 });

const MODEL_NAME = 'RoutingDecisionLog';
const OFFERING_TYPES: RoutingDecisionEvent['type'][] = ['offered', 'assigned'];
/** Recent waits looked at for a median: enough for a busy queue's hour, bounded in cost. */
const MAX_RECENT = 5_000;

const newestFirst = { decidedAt: -1, partition: -1, offset: -1 } as const;

/**
 * Every routing decision, kept in the router's own database so supervisors can ask later why a
 * conversation went where it went (ExplainDecision), and queue statistics can look at recent waits.
 */
export class DecisionLogRepository {
  private readonly decisions: Model<LoggedDecision>;

  constructor(connection: Connection) {
    this.decisions =
      (connection.models[MODEL_NAME] as Model<LoggedDecision> | undefined) ??
      connection.model<LoggedDecision>(MODEL_NAME, decisionSchema, 'routing_decisions');
  }

  async ensureIndexes(): Promise<void> {
    await this.decisions.createCollection().catch(() => undefined);
    await this.decisions.syncIndexes();
  }

  /**
   * Stores a decision once; returns it as stored (with its wait), or undefined when it was stored
   * already (a redelivery).
   */
  async record(
    decision: RoutingDecisionEvent,
    position: { partition: number; offset: number },
  ): Promise<LoggedDecision | undefined> {
    const decidedAt = new Date(decision.decidedAt);
    const logged: LoggedDecision = {
      tenantId: decision.tenantId,
      decisionId: decision.decisionId,
      conversationId: decision.conversationId,
      queueId: decision.queueId,
      type: decision.type,
      agentId: decision.agentId,
      decidedAt,
      offerExpiresAt: decision.offerExpiresAt ? new Date(decision.offerExpiresAt) : undefined,
      reason: decision.explanation.reason,
      rules: decision.explanation.rules,
      strategy: decision.explanation.strategy,
      candidates: decision.explanation.candidates,
      waitMs: OFFERING_TYPES.includes(decision.type)
        ? await this.waitBefore(decision.tenantId, decision.conversationId, decidedAt)
        : undefined,
      ...position,
    };
    try {
      await translateDuplicateKey(
        () => this.decisions.collection.insertOne(withoutUndefined(logged)),
        'routing_decisions',
      );
      return logged;
    } catch (error) {
      if (error instanceof DuplicateKeyError) return undefined;
      throw error;
    }
  }

  /**
   * Deletes decisions made before `cutoff`, at most `limit` of them (oldest first), so one pass
   * never holds the database for long; returns how many went. Every tenant's, by design: retention
   * is the deployment's policy. FerretDB has no TTL indexes, hence a scheduled delete.
   */
  async deleteDecidedBefore(cutoff: Date, limit: number): Promise<number> {
    const oldest = await this.decisions
      .find({ decidedAt: { $lt: cutoff } }, { _id: 1 })
      .sort({ decidedAt: 1 })
      .limit(limit)
      .lean()
      .exec();
    if (oldest.length === 0) return 0;
    const { deletedCount } = await this.decisions
      .deleteMany({ _id: { $in: oldest.map((document) => document._id) } })
      .exec();
    return deletedCount;
  }

  async byId(tenantId: TenantId, decisionId: string): Promise<LoggedDecision | undefined> {
    const found = await this.decisions.findOne({ tenantId, decisionId }).lean().exec();
    return found ? fromDocument(found) : undefined;
  }

  /** The conversation's decisions, newest first. */
  async latestOfConversation(
    tenantId: TenantId,
    conversationId: string,
    limit: number,
  ): Promise<LoggedDecision[]> {
    const found = await this.decisions
      .find({ tenantId, conversationId })
      .sort(newestFirst)
      .limit(limit)
      .lean()
      .exec();
    return found.map(fromDocument);
  }

  /** Waits (ms) of the conversations first offered or assigned in the queue since `since`. */
  async recentWaits(tenantId: TenantId, queueId: string, since: Date): Promise<number[]> {
    const found = await this.decisions
      .find(
        { tenantId, queueId, decidedAt: { $gte: since }, waitMs: { $exists: true } },
        { waitMs: 1 },
      )
      .sort({ decidedAt: -1 })
      .limit(MAX_RECENT)
      .lean()
      .exec();
    return found.flatMap((document) =>
      typeof document.waitMs === 'number' ? [document.waitMs] : [],
    );
  }

  /** When the queue's recent first offers (or auto-assignments) were made, oldest first. */
  async recentOfferTimes(tenantId: TenantId, queueId: string, since: Date): Promise<number[]> {
    const found = await this.decisions
      .find(
        { tenantId, queueId, decidedAt: { $gte: since }, waitMs: { $exists: true } },
        { decidedAt: 1 },
      )
      .sort({ decidedAt: -1 })
      .limit(MAX_RECENT)
      .lean()
      .exec();
    return found.map((document) => new Date(document.decidedAt).getTime()).sort((a, b) => a - b);
  }

  /**
   * The wait that an offer or assignment ends: from the conversation's latest `queued` decision,
   * unless an offer or assignment since then already ended it. Decisions of one conversation share
   * a partition and are recorded in order, so the earlier ones are already here.
   */
  private async waitBefore(
    tenantId: string,
    conversationId: string,
    decidedAt: Date,
  ): Promise<number | undefined> {
    const queued = await this.decisions
      .findOne(
        { tenantId, conversationId, type: 'queued', decidedAt: { $lte: decidedAt } },
        { decidedAt: 1 },
      )
      .sort(newestFirst)
      .lean()
      .exec();
    if (!queued) return undefined;
    const ended = await this.decisions
      .findOne(
        {
          tenantId,
          conversationId,
          type: { $in: OFFERING_TYPES },
          decidedAt: { $gte: queued.decidedAt, $lte: decidedAt },
        },
        { _id: 1 },
      )
      .lean()
      .exec();
    if (ended) return undefined;
    return Math.max(0, decidedAt.getTime() - new Date(queued.decidedAt).getTime());
  }
}

function fromDocument(document: LoggedDecision): LoggedDecision {
  return {
    tenantId: document.tenantId,
    decisionId: document.decisionId,
    conversationId: document.conversationId,
    queueId: document.queueId,
    type: document.type,
    agentId: document.agentId ?? undefined,
    decidedAt: new Date(document.decidedAt),
    offerExpiresAt: document.offerExpiresAt ? new Date(document.offerExpiresAt) : undefined,
    reason: document.reason,
    rules: document.rules ?? [],
    strategy: document.strategy ?? undefined,
    candidates: (document.candidates ?? []).map(({ agentId, chosen, reason }) => ({
      agentId,
      chosen,
      reason,
    })),
    waitMs: document.waitMs ?? undefined,
    partition: document.partition,
    offset: document.offset,
  };
}

/** The driver would store undefined fields as null; leaving them out keeps `$exists` meaningful. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}
