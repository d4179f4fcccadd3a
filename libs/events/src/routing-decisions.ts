import { z } from 'zod';

/**
 * Router decisions on Topics.routingDecisions (key: conversation id), each with its explanation,
 * for the conversation service (which applies offers and assignments) and for supervisors.
 */
export const ROUTING_DECISION_TYPES = [
  'queued',
  'offered',
  'assigned',
  'offer_declined',
  'offer_expired',
  'requeued',
  'completed',
  /** An overflow step changed a waiting task (relaxed skills, more queues, no language, higher priority). */
  'overflowed',
] as const;
export const routingDecisionTypeSchema = z.enum(ROUTING_DECISION_TYPES);
export type RoutingDecisionType = z.infer<typeof routingDecisionTypeSchema>;

export const routingDecisionSchema = z.object({
  schemaVersion: z.literal(1),
  tenantId: z.string().min(1),
  /** Unique per decision: consumers dedupe by it. */
  decisionId: z.string().min(1),
  conversationId: z.string().min(1),
  queueId: z.string().min(1),
  type: routingDecisionTypeSchema,
  agentId: z.string().optional(),
  offerExpiresAt: z.iso.datetime({ offset: true }).optional(),
  /** Why: which rule chose the queue, which strategy chose the agent, what freed or moved it. */
  explanation: z.object({
    reason: z.string(),
    rules: z.array(z.string()).default([]),
    strategy: z.string().optional(),
    /** Agents the router looked at for this decision, in the order it looked, and the verdict. */
    candidates: z
      .array(
        z.object({
          agentId: z.string().min(1),
          chosen: z.boolean(),
          /** Why chosen or passed over: "declined before", "lacks skill billing ≥ 5", … */
          reason: z.string(),
        }),
      )
      .default([]),
  }),
  decidedAt: z.iso.datetime({ offset: true }),
});
export type RoutingDecisionEvent = z.infer<typeof routingDecisionSchema>;
