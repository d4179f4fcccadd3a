import type { QueueConfig } from '../configuration/routing-config.schema';
import type { TenantId } from '../configuration/tenant-id';
import type { DecisionLogRepository } from '../decision-log/decision-log.repository';
import type { HotStateReader } from './hot-state.reader';

/** Whether a queue is within its business hours at a moment. */
export interface QueueOpeningHours {
  isOpen(queue: QueueConfig, at: Date): boolean;
}

export interface Clock {
  now(): number;
}

export interface QueueFigures {
  queueId: string;
  waiting: number;
  longestWaitSeconds: number;
  agentsAvailable: number;
  agentsOnline: number;
  offersOpen: number;
  openNow: boolean;
  recentMedianWaitSeconds: number;
}

/** The window of "recent" waits and offers. */
export const RECENT_WINDOW_MS = 60 * 60_000;

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** Live figures of a queue: hot state from Redis, recent waits from the decision log. */
export class QueueFiguresReader {
  constructor(
    private readonly hotState: HotStateReader,
    private readonly log: DecisionLogRepository,
    private readonly hours: QueueOpeningHours,
    private readonly clock: Clock,
  ) {}

  async figures(tenantId: TenantId, queue: QueueConfig): Promise<QueueFigures> {
    const now = this.clock.now();
    const [waiting, oldest, agentsAvailable, agentsOnline, offersOpen, waits] = await Promise.all([
      this.hotState.waitingCount(tenantId, queue.id),
      this.hotState.oldestWaitingSince(tenantId, queue.id),
      this.hotState.readyCount(tenantId, queue.id),
      this.hotState.onlineMemberCount(tenantId, queue.id),
      this.hotState.openOfferCount(tenantId, queue.id),
      this.log.recentWaits(tenantId, queue.id, new Date(now - RECENT_WINDOW_MS)),
    ]);
    return {
      queueId: queue.id,
      waiting,
      longestWaitSeconds: oldest === undefined ? 0 : Math.max(0, now - oldest) / 1000,
      agentsAvailable,
      agentsOnline,
      offersOpen,
      openNow: this.hours.isOpen(queue, new Date(now)),
      recentMedianWaitSeconds: median(waits) / 1000,
    };
  }

  /** Median time between the queue's recent first offers (ms), or undefined with fewer than two. */
  async recentOfferIntervalMs(tenantId: TenantId, queueId: string): Promise<number | undefined> {
    const now = this.clock.now();
    const times = await this.log.recentOfferTimes(
      tenantId,
      queueId,
      new Date(now - RECENT_WINDOW_MS),
    );
    if (times.length < 2) return undefined;
    const gaps = times.slice(1).map((time, index) => time - (times[index] ?? time));
    return median(gaps);
  }

  async recentMedianWaitMs(tenantId: TenantId, queueId: string): Promise<number | undefined> {
    const waits = await this.log.recentWaits(
      tenantId,
      queueId,
      new Date(this.clock.now() - RECENT_WINDOW_MS),
    );
    return waits.length > 0 ? median(waits) : undefined;
  }
}
