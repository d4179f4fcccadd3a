import type { RoutingDecisionEvent, RoutingDecisionType } from '@switchboard/events';
import type { RoutingDecision } from '../assignment/dispatch-queue.usecase';
import type { IdGenerator } from './routing-ports';

/** Builds decision events with ids, times and explanations in one place. */
export class DecisionFactory {
  constructor(private readonly ids: IdGenerator) {}

  create(input: {
    tenantId: string;
    conversationId: string;
    queueId: string;
    type: RoutingDecisionType;
    at: number;
    reason: string;
    rules?: string[];
    agentId?: string;
    offerExpiresAt?: number;
    strategy?: string;
    candidates?: RoutingDecisionEvent['explanation']['candidates'];
  }): RoutingDecisionEvent {
    return {
      schemaVersion: 1,
      tenantId: input.tenantId,
      decisionId: this.ids.next(),
      conversationId: input.conversationId,
      queueId: input.queueId,
      type: input.type,
      agentId: input.agentId,
      offerExpiresAt:
        input.offerExpiresAt === undefined
          ? undefined
          : new Date(input.offerExpiresAt).toISOString(),
      explanation: {
        reason: input.reason,
        rules: input.rules ?? [],
        strategy: input.strategy,
        candidates: input.candidates ?? [],
      },
      decidedAt: new Date(input.at).toISOString(),
    };
  }

  fromDispatch(decision: RoutingDecision, strategy: string): RoutingDecisionEvent {
    const { outcome } = decision;
    const chosenBecause =
      outcome.via === 'previous_agent'
        ? 'handled this conversation last and is available with free capacity'
        : strategy === 'least_loaded'
          ? 'least loaded ready agent with the skills, language and free capacity, who had not declined it'
          : 'longest idle ready agent with the skills, language and free capacity, who had not declined it';
    const listed = outcome.candidates.length - 1;
    return this.create({
      tenantId: decision.tenantId,
      conversationId: decision.taskId,
      queueId: decision.queueId,
      type: outcome.kind,
      at: decision.decidedAt,
      agentId: outcome.agentId,
      offerExpiresAt: outcome.kind === 'offered' ? outcome.expiresAt : undefined,
      strategy,
      reason:
        outcome.passedOver > listed
          ? `${chosenBecause}; passed over ${outcome.passedOver} agents first (${listed} listed)`
          : chosenBecause,
      rules: outcome.via === 'previous_agent' ? ['previous agent preferred'] : [],
      candidates: outcome.candidates.map((candidate) =>
        candidate.chosen ? { ...candidate, reason: chosenBecause } : candidate,
      ),
    });
  }
}
