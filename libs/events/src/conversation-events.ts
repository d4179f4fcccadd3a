import { z } from 'zod';
import { channelSchema } from './envelopes';

/**
 * Conversation events on Topics.conversationEvents (key: conversation id), produced by the
 * conversation service for the router and gateways. At-least-once: consumers dedupe by `eventId`
 * (or by conversation + `sequence`, which is gap-free and increasing per conversation).
 */

export const CONVERSATION_EVENT_TYPES = [
  'created',
  'message_added',
  'note_added',
  'status_changed',
  'assigned',
  'tags_changed',
  'priority_changed',
  'sla_breached',
  /** An agent reply's delivery status moved forward (ticks); never triggers routing. */
  'message_status_changed',
  /** The customer edited, deleted or reacted to a message (from the inbound envelope's `kind`). */
  'message_edited',
  'message_deleted',
  'message_reacted',
] as const;
export const conversationEventTypeSchema = z.enum(CONVERSATION_EVENT_TYPES);
export type ConversationEventType = z.infer<typeof conversationEventTypeSchema>;

export const CONVERSATION_STATUSES = ['open', 'pending', 'snoozed', 'resolved'] as const;
export const conversationStatusSchema = z.enum(CONVERSATION_STATUSES);
export type ConversationStatusName = z.infer<typeof conversationStatusSchema>;

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export const prioritySchema = z.enum(PRIORITIES);
export type PriorityName = z.infer<typeof prioritySchema>;

const isoTimestamp = z.iso.datetime({ offset: true });
const nonEmpty = z.string().min(1);

/** The conversation as it is right after the event. */
export const conversationSnapshotSchema = z.object({
  channel: channelSchema,
  threadKey: nonEmpty,
  subject: z.string().optional(),
  status: conversationStatusSchema,
  priority: prioritySchema,
  tags: z.array(z.string()),
  contactId: nonEmpty,
  queueId: z.string().optional(),
  assigneeId: z.string().optional(),
  snoozedUntil: isoTimestamp.optional(),
});
export type ConversationSnapshot = z.infer<typeof conversationSnapshotSchema>;

export const conversationEventSchema = z.object({
  schemaVersion: z.literal(1),
  tenantId: nonEmpty,
  /** `<conversationId>:<sequence>`: the idempotency key of this event. */
  eventId: nonEmpty,
  conversationId: nonEmpty,
  /** Gap-free and increasing within the conversation. */
  sequence: z.number().int().positive(),
  /** Increasing across the whole tenant (the WatchEvents resume position). */
  tenantCursor: z.number().int().positive(),
  type: conversationEventTypeSchema,
  occurredAt: isoTimestamp,
  actor: z.object({
    kind: z.enum(['customer', 'agent', 'system']),
    id: z.string(),
  }),
  /**
   * Whether the router should (re)consider the conversation: false for messages flagged as
   * auto-reply, bounce, bulk or our own echo, and for changes that need no agent.
   */
  triggersRouting: z.boolean(),
  conversation: conversationSnapshotSchema,
  /**
   * Type-specific details (message id, previous status, reason …); string values only.
   *
   * Routing data, on `created` and on every inbound customer `message_added` (the router
   * classifies from it):
   * - `text`: the message's plain text, trimmed, at most its first 2,000 characters;
   * - `senderAddress`: the customer's identity on the channel as in the inbound envelope's
   *   `sender.value`, trimmed (email addresses lower-cased);
   * - `meta.<key>`: one per entry of the inbound envelope's `metadata` map, value unchanged
   *   (e.g. `meta.preChatTopic` from the chat pre-chat form, `meta.offline` for a message left
   *   while no agent was online).
   * `message_added` also has `messageId`, `direction` (`inbound`/`outbound`) and, inbound,
   * `automated` (`"true"` for auto-replies, bounces, bulk mail and our own echoes).
   *
   * `message_status_changed`: `messageId` (the agent reply), `status` (`deferred`, `sent`,
   * `delivered`, `read`, `failed` or `bounced`), `previousStatus` (the last one announced,
   * `queued` at first) and, for failures, `errorCode` / `errorMessage` when the gateway gave them.
   * Statuses only move forward (queued < deferred < sent < failed/bounced < delivered < read).
   *
   * `message_edited` / `message_deleted` / `message_reacted` (the customer changed a message, never
   * trigger routing): `messageId` (the message changed), `changeId` (our id of the change, to
   * dedupe), `changedAt` (when the channel reported it); edits add `text` (the new text), reactions
   * `emoji` (empty: the reaction was removed).
   */
  data: z.record(z.string(), z.string()).default({}),
});
export type ConversationEvent = z.infer<typeof conversationEventSchema>;
