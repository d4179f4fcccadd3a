import type {
  Channel,
  ConversationEventType,
  ConversationSnapshot,
  ConversationStatusName,
  PriorityName,
  SenderIdentity,
} from '@switchboard/events';
import type { TenantId } from '../shared/tenant-id';

export type ConversationStatus = ConversationStatusName;
export type Priority = PriorityName;
export type SlaTarget = 'first_response' | 'next_response' | 'resolution';

export interface SlaClocks {
  firstResponseDueAt?: Date;
  nextResponseDueAt?: Date;
  resolutionDueAt?: Date;
  firstResponseAt?: Date;
  resolvedAt?: Date;
  breached: SlaTarget[];
}

export interface EventActor {
  kind: 'customer' | 'agent' | 'system';
  id: string;
}

/**
 * An event decided together with the state change that caused it and stored on the conversation
 * document in the same atomic write (an outbox on the document), then copied to the event log and
 * Kafka by the EventOutbox. A crash in between leaves it here, to be flushed on the next attempt.
 */
export interface PendingEvent {
  seq: number;
  type: ConversationEventType;
  occurredAt: Date;
  actor: EventActor;
  triggersRouting: boolean;
  data: Record<string, string>;
  /** The message or note this event added; the outbox marks it applied before forgetting it. */
  messageId?: string;
  snapshot: ConversationSnapshot;
}

export interface Conversation {
  id: string;
  tenantId: TenantId;
  channel: Channel;
  threadKey: string;
  subject?: string;
  status: ConversationStatus;
  priority: Priority;
  tags: string[];
  contactId: string;
  queueId?: string;
  assigneeId?: string;
  snoozedUntil?: Date;
  /** Who replies reach: the customer's identity on this channel, from their latest message. */
  recipient: SenderIdentity;
  /** External ids of the latest customer messages, for threading replies on the channel. */
  lastInboundExternalIds: string[];
  /** When the customer started waiting for an agent's answer; unset while nobody waits. */
  awaitingReplySince?: Date;
  sla: SlaClocks;
  inboundCount: number;
  agentReplyCount: number;
  reopenCount: number;
  createdAt: Date;
  updatedAt: Date;
  /** Number of the latest event; every change increments it (optimistic concurrency). */
  seq: number;
  pending: PendingEvent[];
}

/** The mutable part of a conversation that a use case may change. */
export type ConversationPatch = Partial<
  Pick<
    Conversation,
    | 'subject'
    | 'status'
    | 'priority'
    | 'tags'
    | 'contactId'
    | 'queueId'
    | 'assigneeId'
    | 'snoozedUntil'
    | 'recipient'
    | 'lastInboundExternalIds'
    | 'awaitingReplySince'
    | 'sla'
    | 'inboundCount'
    | 'agentReplyCount'
    | 'reopenCount'
  >
>;

export type EventDraft = Omit<PendingEvent, 'seq' | 'snapshot' | 'occurredAt'>;

export interface PlannedChange {
  next: Conversation;
  events: PendingEvent[];
}

export function snapshotOf(conversation: Conversation): ConversationSnapshot {
  return {
    channel: conversation.channel,
    threadKey: conversation.threadKey,
    subject: conversation.subject,
    status: conversation.status,
    priority: conversation.priority,
    tags: [...conversation.tags],
    contactId: conversation.contactId,
    queueId: conversation.queueId,
    assigneeId: conversation.assigneeId,
    snoozedUntil: conversation.snoozedUntil?.toISOString(),
  };
}

/**
 * Applies a patch and numbers its events after the conversation's last sequence. Every event
 * carries the conversation as it is after the whole change. Unset keys in the patch clear fields
 * (`{ assigneeId: undefined }` unassigns).
 */
export function planChange(
  conversation: Conversation,
  patch: ConversationPatch,
  drafts: readonly EventDraft[],
  now: Date,
): PlannedChange {
  const next: Conversation = {
    ...conversation,
    ...patch,
    updatedAt: now,
    seq: conversation.seq + drafts.length,
  };
  const snapshot = snapshotOf(next);
  const events = drafts.map((draft, index) => ({
    ...draft,
    seq: conversation.seq + index + 1,
    occurredAt: now,
    snapshot,
  }));
  return { next, events };
}

/** A customer message that must not reopen a conversation or start routing. */
export interface InboundFlags {
  autoReply: boolean;
  bounce: boolean;
  bulk: boolean;
  ownMessageEcho: boolean;
}

export function isAutomated(flags: InboundFlags): boolean {
  return flags.autoReply || flags.bounce || flags.bulk || flags.ownMessageEcho;
}
