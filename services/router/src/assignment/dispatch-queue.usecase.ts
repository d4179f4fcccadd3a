import { type AssignmentStore, DEFAULT_MAX_CANDIDATES } from './assignment.store';
import type { OfferOutcome } from './assignment.types';

export interface Clock {
  now(): number;
}

export interface RoutingDecision {
  tenantId: string;
  queueId: string;
  taskId: string;
  outcome: Extract<OfferOutcome, { kind: 'offered' | 'assigned' }>;
  decidedAt: number;
}

export interface DispatchQueueOptions {
  /** Waiting tasks read per round trip. */
  batchSize?: number;
  /** Ready agents a single offer looks at (best first) before the task waits; default 500. */
  maxCandidates?: number;
}

/**
 * Offers a queue's waiting tasks, best first, to its ready agents until either runs out. Runs when
 * a task arrives and whenever an agent frees capacity or comes online. Safe to run concurrently in
 * any number of replicas: each offer is an atomic claim, and a task another replica took is simply
 * skipped.
 */
export class DispatchQueueUseCase {
  private readonly batchSize: number;
  private readonly maxCandidates: number;

  constructor(
    private readonly store: AssignmentStore,
    private readonly clock: Clock,
    options: DispatchQueueOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 50;
    this.maxCandidates = options.maxCandidates ?? DEFAULT_MAX_CANDIDATES;
  }

  async execute(tenantId: string, queueId: string): Promise<RoutingDecision[]> {
    const decisions: RoutingDecision[] = [];
    let offset = 0;
    for (;;) {
      const waiting = await this.store.waitingTasks(tenantId, queueId, offset + this.batchSize);
      const batch = waiting.slice(offset);
      if (batch.length === 0) return decisions;
      let skipped = 0;
      for (const taskId of batch) {
        const now = this.clock.now();
        const outcome = await this.store.offerTask(
          tenantId,
          queueId,
          taskId,
          now,
          this.maxCandidates,
        );
        if (outcome.kind === 'offered' || outcome.kind === 'assigned') {
          decisions.push({ tenantId, queueId, taskId, outcome, decidedAt: now });
        } else if (outcome.kind === 'queue_closed') {
          // Outside business hours nothing is offered; the tick dispatches the queue when it opens.
          return decisions;
        } else if (outcome.kind === 'no_agent') {
          // Nobody is ready at all: later tasks can't be served either.
          if ((await this.store.readyAgentCount(tenantId, queueId)) === 0) return decisions;
          // Ready agents exist but not for this task (language, skills, declined): keep it waiting.
          skipped += 1;
        }
      }
      // Offered tasks left the waiting set, so only the skipped ones still sit before the next batch.
      offset += skipped;
      if (batch.length < this.batchSize) return decisions;
    }
  }
}
