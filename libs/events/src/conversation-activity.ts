import { z } from 'zod';
import { channelSchema } from './envelopes';

/**
 * Activity on Topics.conversationActivity (key: threadPartitionKey(tenant, threadKey)), produced by
 * the conversation service when an agent calls SetActivity and by gateways when a customer types
 * or reads. It is a signal, not a record: consumers act on the latest and ignore one past
 * `expiresAt` (a lagging consumer must not show someone typing minutes later).
 *
 * Agents: `conversationId` is set; `lastReadMessageId` is the newest inbound message the agent has
 * seen, set when the assignee views or types, so a gateway can show the customer their messages
 * were read. Only the assignee's signals (`isAssignee`) reach customers.
 * Customers: a gateway knows the thread, not the conversation id, so `conversationId` may be
 * absent; `lastReadMessageId` is then the newest agent reply the customer has seen.
 */
export const ACTIVITIES = ['viewing', 'typing', 'idle'] as const;
export const activityKindSchema = z.enum(ACTIVITIES);
export type ActivityKind = z.infer<typeof activityKindSchema>;

const isoTimestamp = z.iso.datetime({ offset: true });

export const conversationActivitySchema = z.object({
  schemaVersion: z.literal(1),
  tenantId: z.string().min(1),
  channel: channelSchema,
  threadKey: z.string().min(1),
  conversationId: z.string().min(1).optional(),
  actor: z.object({
    kind: z.enum(['agent', 'customer']),
    id: z.string().min(1),
    /** Display name ("Dana is typing"); empty when unknown. */
    name: z.string().default(''),
  }),
  /** Agents only: whether the agent is the conversation's assignee. */
  isAssignee: z.boolean().default(false),
  activity: activityKindSchema,
  lastReadMessageId: z.string().optional(),
  occurredAt: isoTimestamp,
  /** After this the signal is stale and must be ignored. */
  expiresAt: isoTimestamp,
  /** Which process produced it (a conversation replica skips its own). */
  origin: z.string().min(1),
});
export type ConversationActivityEvent = z.infer<typeof conversationActivitySchema>;
