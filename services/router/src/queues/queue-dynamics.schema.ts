import { z } from 'zod';
import { businessHoursSchema } from './business-hours';

/**
 * The configuration of how a queue behaves over time and under load (issue 4): business hours,
 * overflow steps, a maximum wait, weighted capacity, the aging boost and the previous-agent
 * preference. Spread into the queue schema of routing-config.schema.ts; validated across queues by
 * checkQueueDynamics.
 */

const queueId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, {
  error: 'must be 1–100 letters, digits, ".", "_" or "-", starting with a letter or digit',
});

const THIRTY_DAYS_SECONDS = 30 * 24 * 3600;

/**
 * One overflow step: after the task has waited `afterSeconds` (from when it entered the queue,
 * keeping its age when an agent gives it back), exactly one of: relax the required skill levels
 * (the queue's and the task's own) by `minProficiencyDelta`, widen to `overflowQueues` (their agents may take it too), drop
 * the language requirement, or raise the task's priority by `raisePriorityBy`.
 */
export const overflowStepSchema = z
  .object({
    afterSeconds: z
      .number({ error: 'afterSeconds is required (seconds of waiting)' })
      .positive({ error: 'afterSeconds must be positive' })
      .max(THIRTY_DAYS_SECONDS, { error: 'afterSeconds must be at most 30 days' }),
    minProficiencyDelta: z
      .number()
      .int({ error: 'minProficiencyDelta must be a whole number' })
      .min(1, { error: 'minProficiencyDelta must be between 1 and 9' })
      .max(9, { error: 'minProficiencyDelta must be between 1 and 9' })
      .optional(),
    overflowQueues: z.array(queueId).min(1, { error: 'must name at least one queue' }).optional(),
    dropLanguage: z.literal(true, { error: 'dropLanguage can only be true' }).optional(),
    raisePriorityBy: z
      .number()
      .int({ error: 'raisePriorityBy must be a whole number' })
      .min(1, { error: 'raisePriorityBy must be between 1 and 10' })
      .max(10, { error: 'raisePriorityBy must be between 1 and 10' })
      .optional(),
  })
  .superRefine((step, context) => {
    const actions = (
      ['minProficiencyDelta', 'overflowQueues', 'dropLanguage', 'raisePriorityBy'] as const
    ).filter((field) => step[field] !== undefined);
    if (actions.length !== 1) {
      context.addIssue({
        code: 'custom',
        path: [],
        message: `a step needs exactly one of minProficiencyDelta, overflowQueues, dropLanguage, raisePriorityBy (found ${actions.length === 0 ? 'none' : actions.join(', ')})`,
      });
    }
  });
export type OverflowStepConfig = z.infer<typeof overflowStepSchema>;

/** Fields spread into a queue's schema. */
export const queueDynamicsFields = {
  /** Outside these hours the queue's tasks wait and are not offered. Absent: always open. */
  businessHours: businessHoursSchema.optional(),
  /** Applied in order as a task waits; afterSeconds must not decrease. */
  overflow: z.array(overflowStepSchema).default([]),
  /** A task waiting longer is counted by switchboard_router_tasks_over_max_wait (and alerts). */
  maxWaitSeconds: z
    .number()
    .positive({ error: 'maxWaitSeconds must be positive' })
    .max(THIRTY_DAYS_SECONDS, { error: 'maxWaitSeconds must be at most 30 days' })
    .optional(),
  /** Capacity units each task uses on its channel (weighted capacity); absent: 1. */
  unitsPerTask: z
    .number()
    .int({ error: 'unitsPerTask must be a whole number' })
    .min(1, { error: 'unitsPerTask must be between 1 and 100' })
    .max(100, { error: 'unitsPerTask must be between 1 and 100' })
    .optional(),
  /**
   * The aging boost: how many seconds of waiting one priority step is worth. With the default
   * 600, an urgent task (priority 3) goes before normal ones (1) that waited up to 20 minutes
   * longer, and after older ones: old work is never starved. 0 orders by age only.
   */
  prioritySeconds: z
    .number()
    .min(0, { error: 'prioritySeconds must be between 0 and 86400' })
    .max(86_400, { error: 'prioritySeconds must be between 0 and 86400' })
    .default(600),
  /**
   * For this long after a conversation comes back (reopened, or requeued after completion), it
   * is offered first to the agent who last handled it, while that agent is available with free
   * capacity; otherwise normal selection runs at once. 0: no preference.
   */
  preferPreviousAgentSeconds: z
    .number()
    .min(0, { error: 'preferPreviousAgentSeconds must be between 0 and 30 days' })
    .max(THIRTY_DAYS_SECONDS, {
      error: 'preferPreviousAgentSeconds must be between 0 and 30 days',
    })
    .default(0),
  /**
   * When an agent goes offline (or silent), also give back the conversations of this queue
   * assigned to them, not only their open offers. Absent: the service's
   * REQUEUE_ASSIGNED_ON_OFFLINE.
   */
  requeueAssignedOnOffline: z.boolean().optional(),
};

/** The tenant's last resort: every other queue's tasks widen to it after `afterSeconds`. */
export const catchAllSchema = z.object({
  queue: queueId,
  afterSeconds: z
    .number({ error: 'afterSeconds is required (seconds of waiting)' })
    .positive({ error: 'afterSeconds must be positive' })
    .max(THIRTY_DAYS_SECONDS, { error: 'afterSeconds must be at most 30 days' }),
});
export type CatchAllConfig = z.infer<typeof catchAllSchema>;

interface IssueSink {
  addIssue(issue: { code: 'custom'; path: (string | number)[]; message: string }): void;
}

/** Cross-queue checks: overflow and catch-all queues exist, and steps are in waiting order. */
export function checkQueueDynamics(
  config: {
    queues: readonly { id: string; overflow: readonly OverflowStepConfig[] }[];
    catchAll?: CatchAllConfig | undefined;
  },
  context: IssueSink,
): void {
  const known = new Set(config.queues.map((queue) => queue.id));
  config.queues.forEach((queue, queueIndex) => {
    let previous = 0;
    queue.overflow.forEach((step, stepIndex) => {
      const path = ['queues', queueIndex, 'overflow', stepIndex];
      if (step.afterSeconds < previous) {
        context.addIssue({
          code: 'custom',
          path: [...path, 'afterSeconds'],
          message: `steps must be in waiting order (${step.afterSeconds} comes after ${previous})`,
        });
      }
      previous = step.afterSeconds;
      step.overflowQueues?.forEach((target, targetIndex) => {
        if (!known.has(target)) {
          context.addIssue({
            code: 'custom',
            path: [...path, 'overflowQueues', targetIndex],
            message: `unknown queue "${target}"`,
          });
        }
      });
    });
  });
  if (config.catchAll && !known.has(config.catchAll.queue)) {
    context.addIssue({
      code: 'custom',
      path: ['catchAll', 'queue'],
      message: `unknown queue "${config.catchAll.queue}"`,
    });
  }
}

/**
 * The skill levels an agent needs to be a member of the queue: its required levels lowered by
 * every relaxing step (levels that reach 0 are no longer required). Before a task has aged
 * through those steps, the offer checks the stricter levels still due (see OFFER_TASK).
 */
export function membershipLevels(queue: {
  requiredSkills: Record<string, number>;
  overflow: readonly OverflowStepConfig[];
}): Record<string, number> {
  const relax = queue.overflow.reduce((sum, step) => sum + (step.minProficiencyDelta ?? 0), 0);
  return Object.fromEntries(
    Object.entries(queue.requiredSkills)
      .map(([skill, level]) => [skill, level - relax] as const)
      .filter(([, level]) => level > 0),
  );
}
