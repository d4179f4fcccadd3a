import type { RoutingDecisionEvent } from '@switchboard/events';
import { NotFoundError } from '@switchboard/grpc-kit';
import type { ConversationChanger } from '../conversations/conversation-change.service';
import { asTenantId } from '../shared/tenant-id';
import type { SlaPolicy } from '../sla/sla-policy';

export type RoutingDecisionOutcome =
  'applied' | 'unchanged' | 'not_applicable' | 'unknown_conversation';

/**
 * Makes the router's decisions visible on the conversation: `queued` sets its queue, `assigned`
 * its agent (so the agent can see and answer it), `requeued` takes the agent away again. Offers,
 * declines and expiries change nothing here (they are the router's business). Redelivered or
 * replayed decisions change nothing either: a decision that already holds is left as it is.
 * The resulting conversation events never trigger routing, so there is no loop with the router.
 */
export class ApplyRoutingDecisionUseCase {
  constructor(
    private readonly changer: ConversationChanger,
    private readonly sla: SlaPolicy,
  ) {}

  async execute(decision: RoutingDecisionEvent): Promise<RoutingDecisionOutcome> {
    const target = this.targetOf(decision);
    if (!target) return 'not_applicable';
    let changed = false;
    try {
      await this.changer.change(
        asTenantId(decision.tenantId),
        decision.conversationId,
        (current) => {
          if (current.queueId === target.queueId && current.assigneeId === target.assigneeId) {
            return { unchanged: true };
          }
          // Once resolved or snoozed, a late assignment must not pull the conversation back.
          if (target.assigneeId !== undefined && current.status !== 'open')
            return { unchanged: true };
          changed = true;
          return {
            patch: {
              queueId: target.queueId,
              assigneeId: target.assigneeId,
              // The queue's SLA targets apply from now on, to the clocks' original start.
              sla: this.sla.clocksAfterMove(current, target.queueId, current.priority),
            },
            events: [
              {
                type: 'assigned',
                actor: { kind: 'system', id: 'router' },
                triggersRouting: false,
                data: {
                  reason: decision.explanation.reason,
                  decisionId: decision.decisionId,
                  decision: decision.type,
                  previousQueueId: current.queueId ?? '',
                  previousAssigneeId: current.assigneeId ?? '',
                  queueId: target.queueId ?? '',
                  assigneeId: target.assigneeId ?? '',
                },
              },
            ],
          };
        },
      );
    } catch (error) {
      if (error instanceof NotFoundError) return 'unknown_conversation';
      throw error;
    }
    return changed ? 'applied' : 'unchanged';
  }

  private targetOf(
    decision: RoutingDecisionEvent,
  ): { queueId: string | undefined; assigneeId: string | undefined } | undefined {
    switch (decision.type) {
      case 'queued':
        return { queueId: decision.queueId, assigneeId: undefined };
      case 'assigned':
        return { queueId: decision.queueId, assigneeId: decision.agentId };
      case 'requeued':
        return { queueId: decision.queueId, assigneeId: undefined };
      case 'offered':
      case 'offer_declined':
      case 'offer_expired':
      case 'completed':
        return undefined;
      case 'overflowed':
        // The task waits on with relaxed conditions; the assignment that follows names its queue.
        return undefined;
    }
  }
}
