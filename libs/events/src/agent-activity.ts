import { z } from 'zod';
import { channelSchema } from './envelopes';

/**
 * Agent activity on Topics.agentActivity (key: conversation id), produced by the conversation
 * service whenever an agent calls SetActivity. It is a signal, not a record: consumers act on the
 * latest one and ignore those older than `expiresAt` (a consumer that lagged must not show an agent
 * typing minutes later). `lastReadMessageId` is set when the agent viewing the conversation is its
 * assignee, so a gateway can show the customer that their messages up to it were read.
 */
export const AGENT_ACTIVITIES = ['viewing', 'typing', 'idle'] as const;
export const agentActivityKindSchema = z.enum(AGENT_ACTIVITIES);
export type AgentActivityKind = z.infer<typeof agentActivityKindSchema>;

const isoTimestamp = z.iso.datetime({ offset: true });

export const agentActivitySchema = z.object({
  schemaVersion: z.literal(1),
  tenantId: z.string().min(1),
  conversationId: z.string().min(1),
  /** The conversation's channel and thread key, so a gateway finds the customer's session. */
  channel: channelSchema,
  threadKey: z.string().min(1),
  agentId: z.string().min(1),
  /** Display name for the customer ("Dana is typing"); empty when the agent has none. */
  agentName: z.string().default(''),
  /** Whether the agent is the conversation's assignee (only the assignee's typing reaches customers). */
  isAssignee: z.boolean(),
  activity: agentActivityKindSchema,
  /** The newest inbound message the agent has seen, when `activity` is viewing or typing. */
  lastReadMessageId: z.string().optional(),
  occurredAt: isoTimestamp,
  /** After this the signal is stale and must be ignored. */
  expiresAt: isoTimestamp,
  /** Which conversation-service replica produced it (replicas skip their own). */
  origin: z.string().min(1),
});
export type AgentActivityEvent = z.infer<typeof agentActivitySchema>;
