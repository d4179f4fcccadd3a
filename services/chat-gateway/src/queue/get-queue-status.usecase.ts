import type { Logger } from 'pino';
import type { ThreadConversationStore } from '../history/thread-conversation.store';
import type { VisitorSession } from '../sessions/visitor-session.store';
import type { WaitEstimate, WaitEstimates } from './wait-estimates';

/** What the visitor's widget is told while waiting (`queue:status`). */
export type QueueStatus = WaitEstimate;

/**
 * The visitor's place in the queue, from the router. Never fails: the estimate is a courtesy, so
 * an unknown conversation (not routed yet) or an unreachable router give `undefined` and the
 * widget shows no estimate. An outage is logged once, not on every poll of every visitor.
 */
export class GetQueueStatusUseCase {
  private routerFailing = false;

  constructor(
    private readonly conversations: ThreadConversationStore,
    private readonly estimates: WaitEstimates,
    private readonly logger: Logger,
  ) {}

  async execute(session: VisitorSession): Promise<QueueStatus | undefined> {
    try {
      const conversationId = await this.conversations.find(session.tenantId, session.threadKey);
      if (conversationId === undefined) return undefined;
      const estimate = await this.estimates.estimate(session.tenantId, conversationId);
      if (this.routerFailing) {
        this.routerFailing = false;
        this.logger.info('wait estimates available again');
      }
      return estimate;
    } catch (error) {
      if (!this.routerFailing) {
        this.routerFailing = true;
        this.logger.warn({ err: error }, 'wait estimates not available; visitors see none');
      }
      return undefined;
    }
  }
}
