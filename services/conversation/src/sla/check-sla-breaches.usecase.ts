import type { ConversationChanger } from '../conversations/conversation-change.service';
import type { EventDraft, SlaClocks, SlaTarget } from '../conversations/conversation.model';
import type { ConversationRepository } from '../persistence/conversation.repository';
import type { Clock } from '../shared/clock';

const DUE_FIELDS: Record<
  SlaTarget,
  'firstResponseDueAt' | 'nextResponseDueAt' | 'resolutionDueAt'
> = {
  first_response: 'firstResponseDueAt',
  next_response: 'nextResponseDueAt',
  resolution: 'resolutionDueAt',
};

/** Pure: which targets are overdue at `now`, and the clocks after recording them as breached. */
export function overdueTargets(
  sla: SlaClocks,
  now: Date,
): { breached: SlaTarget[]; sla: SlaClocks } {
  const next: SlaClocks = { ...sla, breached: [...sla.breached] };
  const breached: SlaTarget[] = [];
  for (const target of Object.keys(DUE_FIELDS) as SlaTarget[]) {
    const due = sla[DUE_FIELDS[target]];
    if (due && due.getTime() <= now.getTime()) {
      breached.push(target);
      next[DUE_FIELDS[target]] = undefined;
      if (!next.breached.includes(target)) next.breached.push(target);
    }
  }
  return { breached, sla: next };
}

/**
 * Records missed SLA targets and publishes an `sla_breached` event for each, once: the due time
 * is cleared in the same atomic change, so another replica or the next tick finds nothing.
 */
export class CheckSlaBreachesUseCase {
  constructor(
    private readonly conversations: ConversationRepository,
    private readonly changer: ConversationChanger,
    private readonly clock: Clock,
  ) {}

  async execute(batchSize = 100): Promise<number> {
    const due = await this.conversations.findSlaDue(this.clock.now(), batchSize);
    let breaches = 0;
    for (const { tenantId, id } of due) {
      await this.changer.change(tenantId, id, (current, now) => {
        if (current.status === 'resolved') return { unchanged: true };
        const { breached, sla } = overdueTargets(current.sla, now);
        if (breached.length === 0) return { unchanged: true };
        breaches += breached.length;
        const events: EventDraft[] = breached.map((target) => ({
          type: 'sla_breached',
          actor: { kind: 'system', id: 'sla' },
          triggersRouting: true,
          data: { target, dueAt: current.sla[DUE_FIELDS[target]]?.toISOString() ?? '' },
        }));
        return { patch: { sla }, events };
      });
    }
    return breaches;
  }
}
