import type { AppliedStep, OverflowStep, QueueDynamics } from '../assignment/assignment.types';
import type { QueueConfig, TenantRoutingConfig } from '../configuration/routing-config.schema';
import { isWithinBusinessHours } from './business-hours';

function stepOf(step: QueueConfig['overflow'][number]): OverflowStep {
  const afterMs = Math.round(step.afterSeconds * 1000);
  if (step.minProficiencyDelta !== undefined)
    return { afterMs, kind: 'relax', delta: step.minProficiencyDelta };
  if (step.overflowQueues !== undefined)
    return { afterMs, kind: 'widen', queues: step.overflowQueues };
  if (step.raisePriorityBy !== undefined)
    return { afterMs, kind: 'raisePriority', raiseBy: step.raisePriorityBy };
  return { afterMs, kind: 'dropLanguage' };
}

/**
 * A queue's dynamics at `now` for the Lua core: open or closed by its business hours, its overflow
 * steps with the tenant's catch-all appended as the last one (never earlier than the queue's own
 * last step), and its weights and preferences.
 */
export function queueDynamicsOf(
  queue: QueueConfig,
  tenant: Pick<TenantRoutingConfig, 'catchAll'>,
  now: number,
  serviceRequeuesAssigned: boolean,
): QueueDynamics {
  const steps = queue.overflow.map(stepOf);
  const { catchAll } = tenant;
  if (catchAll && catchAll.queue !== queue.id) {
    const lastMs = steps.at(-1)?.afterMs ?? 0;
    steps.push({
      afterMs: Math.max(Math.round(catchAll.afterSeconds * 1000), lastMs),
      kind: 'widen',
      queues: [catchAll.queue],
    });
  }
  const relaxes = steps.some((step) => step.kind === 'relax');
  return {
    queueId: queue.id,
    closed: queue.businessHours
      ? !isWithinBusinessHours(queue.businessHours, new Date(now))
      : false,
    steps,
    relaxableSkills: relaxes ? queue.requiredSkills : undefined,
    unitsPerTask: queue.unitsPerTask,
    priorityStepMs: Math.round(queue.prioritySeconds * 1000),
    preferPreviousMs: Math.round(queue.preferPreviousAgentSeconds * 1000),
    requeueAssignedOnOffline: queue.requeueAssignedOnOffline ?? serviceRequeuesAssigned,
    maxWaitMs:
      queue.maxWaitSeconds === undefined ? undefined : Math.round(queue.maxWaitSeconds * 1000),
  };
}

/** The explanation of an overflow step for its `overflowed` decision. */
export function describeAppliedStep(applied: AppliedStep, afterMs: number | undefined): string {
  const waited =
    afterMs === undefined ? 'waited long enough' : `waited over ${Math.round(afterMs / 1000)} s`;
  switch (applied.kind) {
    case 'relax':
      return `${waited}: required skill levels relaxed by ${applied.detail} in total`;
    case 'widen':
      return applied.detail
        ? `${waited}: widened to queue ${applied.detail.split(',').join(', ')}`
        : `${waited}: its overflow queues already served it`;
    case 'dropLanguage':
      return applied.detail
        ? `${waited}: language ${applied.detail} no longer required`
        : `${waited}: no language was required`;
    case 'raisePriority':
      return `${waited}: priority raised to ${applied.detail}`;
  }
}
