import { InvalidArgumentError, type Principal } from '@switchboard/grpc-kit';
import type { RoutingConfigRepository } from '../configuration/routing-config.repository';
import type { HotStateReader } from './hot-state.reader';
import { requireSupervisorOrSystem } from './admin-access';
import type { Clock, QueueFiguresReader, QueueOpeningHours } from './queue-figures';

export type WaitState = 'waiting' | 'offered' | 'assigned' | 'not_queued';

export interface WaitEstimate {
  state: WaitState;
  queueId: string;
  /** 1 = next to be offered; 0 unless waiting. */
  position: number;
  expectedWaitSeconds: number;
  agentsAvailable: number;
  /** False when no eligible agent is online or the queue is closed: offer a message form instead. */
  agentsOnline: boolean;
  openNow: boolean;
}

/**
 * Where a conversation stands in its queue and how long it will likely wait.
 *
 * The model, deliberately simple and explainable:
 * - position p ≤ agents available (ready with free capacity) → 0 s: the next dispatch offers it;
 * - otherwise p × the median time between the queue's first offers in the last hour (one
 *   conversation leaves the head of the queue per interval);
 * - with fewer than two offers in that hour, the median wait of the last hour, else 0 (unknown).
 *
 * A conversation the router holds no task for, or another tenant's, is NOT_QUEUED: both look
 * exactly the same to the caller.
 */
export class WaitEstimateUseCase {
  constructor(
    private readonly repository: Pick<RoutingConfigRepository, 'loadTenantConfig'>,
    private readonly hotState: Pick<
      HotStateReader,
      'task' | 'readyCount' | 'onlineMemberCount' | 'waitingRank'
    >,
    private readonly figures: Pick<
      QueueFiguresReader,
      'recentOfferIntervalMs' | 'recentMedianWaitMs'
    >,
    private readonly hours: QueueOpeningHours,
    private readonly clock: Clock,
  ) {}

  async execute(principal: Principal, conversationId: string): Promise<WaitEstimate> {
    const tenantId = requireSupervisorOrSystem(principal, 'GetWaitEstimate');
    if (!conversationId.trim()) throw new InvalidArgumentError('conversation_id', 'is required');
    const notQueued: WaitEstimate = {
      state: 'not_queued',
      queueId: '',
      position: 0,
      expectedWaitSeconds: 0,
      agentsAvailable: 0,
      agentsOnline: false,
      openNow: false,
    };
    const task = await this.hotState.task(tenantId, conversationId);
    if (!task.queueId || !isActive(task.state)) return notQueued;
    const config = await this.repository.loadTenantConfig(tenantId);
    const queue = config.queues.find((candidate) => candidate.id === task.queueId);
    if (!queue) return notQueued;

    const openNow = this.hours.isOpen(queue, new Date(this.clock.now()));
    const [agentsAvailable, onlineMembers] = await Promise.all([
      this.hotState.readyCount(tenantId, queue.id),
      this.hotState.onlineMemberCount(tenantId, queue.id),
    ]);
    const base = {
      queueId: queue.id,
      agentsAvailable,
      agentsOnline: openNow && onlineMembers > 0,
      openNow,
    };
    if (task.state !== 'waiting') {
      return { ...base, state: task.state, position: 0, expectedWaitSeconds: 0 };
    }
    const rank = await this.hotState.waitingRank(tenantId, queue.id, conversationId);
    // Offered between the two reads: it no longer waits.
    if (rank === undefined)
      return { ...base, state: 'offered', position: 0, expectedWaitSeconds: 0 };
    const position = rank + 1;
    return {
      ...base,
      state: 'waiting',
      position,
      expectedWaitSeconds: await this.expectedWaitSeconds(
        tenantId,
        queue.id,
        position,
        agentsAvailable,
      ),
    };
  }

  private async expectedWaitSeconds(
    tenantId: ReturnType<typeof requireSupervisorOrSystem>,
    queueId: string,
    position: number,
    agentsAvailable: number,
  ): Promise<number> {
    if (position <= agentsAvailable) return 0;
    const interval = await this.figures.recentOfferIntervalMs(tenantId, queueId);
    if (interval !== undefined) return (position * interval) / 1000;
    return ((await this.figures.recentMedianWaitMs(tenantId, queueId)) ?? 0) / 1000;
  }
}

function isActive(state: string | undefined): state is 'waiting' | 'offered' | 'assigned' {
  return state === 'waiting' || state === 'offered' || state === 'assigned';
}
