import { InvalidArgumentError, NotFoundError, type Principal } from '@switchboard/grpc-kit';
import type {
  DecisionLogRepository,
  LoggedDecision,
} from '../decision-log/decision-log.repository';
import { requireSupervisor } from './admin-access';

export interface ExplainDecisionQuery {
  decisionId: string;
  conversationId: string;
  /** With conversationId: how many; 0 means the default. */
  limit: number;
}

export const DEFAULT_EXPLAIN_LIMIT = 20;
export const MAX_EXPLAIN_LIMIT = 100;

/**
 * A decision, or a conversation's latest decisions, as they were published, from the decision log.
 * Another tenant's decision or conversation is answered exactly like an unknown one: NOT_FOUND.
 */
export class ExplainDecisionUseCase {
  constructor(private readonly log: DecisionLogRepository) {}

  async execute(principal: Principal, query: ExplainDecisionQuery): Promise<LoggedDecision[]> {
    const tenantId = requireSupervisor(principal, 'ExplainDecision');
    const decisionId = query.decisionId.trim();
    const conversationId = query.conversationId.trim();
    if (decisionId && conversationId) {
      throw new InvalidArgumentError(
        'decision_id',
        'give either decision_id or conversation_id, not both',
      );
    }
    if (!decisionId && !conversationId) {
      throw new InvalidArgumentError('decision_id', 'give decision_id or conversation_id');
    }
    if (decisionId) {
      if (query.limit !== 0) {
        throw new InvalidArgumentError('limit', 'applies only with conversation_id');
      }
      const decision = await this.log.byId(tenantId, decisionId);
      if (!decision) throw new NotFoundError(`no routing decision ${decisionId}`);
      return [decision];
    }
    if (!Number.isInteger(query.limit) || query.limit < 0 || query.limit > MAX_EXPLAIN_LIMIT) {
      throw new InvalidArgumentError(
        'limit',
        `must be between 0 (default ${DEFAULT_EXPLAIN_LIMIT}) and ${MAX_EXPLAIN_LIMIT}`,
      );
    }
    const decisions = await this.log.latestOfConversation(
      tenantId,
      conversationId,
      query.limit || DEFAULT_EXPLAIN_LIMIT,
    );
    if (decisions.length === 0) {
      throw new NotFoundError(`no routing decisions for conversation ${conversationId}`);
    }
    return decisions;
  }
}
