import type { QueueStatus } from '../queue/get-queue-status.usecase';

/** Sent when an estimate shown before is no longer available: the widget hides it. */
export const NO_ESTIMATE = {
  state: 'unknown',
  position: 0,
  expectedWaitSeconds: 0,
  agentsOnline: true,
} as const;
export type QueueStatusEvent = QueueStatus | typeof NO_ESTIMATE;

export interface QueueWatchOptions {
  intervalMs: number;
  /** Polls per socket at most (the wait is bounded; a long one ends with the last estimate). */
  maxPolls: number;
}

/**
 * Polls one visitor socket's wait estimate while it waits: from start() until an agent has the
 * conversation, the socket goes, or maxPolls. Emits only changes. One poll at a time, on an
 * unref'd timer, so a slow router never piles calls up and never holds the process open.
 */
export class QueueStatusWatch {
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private stopped = false;
  private polls = 0;
  private lastSent: string | undefined;
  /** The latest estimate (undefined: none); the send path reads `agentsOnline` from it. */
  latest: QueueStatus | undefined;

  constructor(
    private readonly poll: () => Promise<QueueStatus | undefined>,
    private readonly emit: (status: QueueStatusEvent) => void,
    private readonly options: QueueWatchOptions,
  ) {}

  /** Idempotent: a second start (another message) keeps the running schedule. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    void this.tick();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async tick(): Promise<void> {
    this.polls += 1;
    const status = await this.poll();
    if (this.stopped) return;
    this.latest = status;
    const event: QueueStatusEvent | undefined =
      status ?? (this.lastSent !== undefined ? NO_ESTIMATE : undefined);
    const serialised = event === undefined ? undefined : JSON.stringify(event);
    if (event !== undefined && serialised !== this.lastSent) {
      this.lastSent = serialised;
      this.emit(event);
    }
    if (status?.state === 'assigned' || this.polls >= this.options.maxPolls) {
      this.stop();
      return;
    }
    this.timer = setTimeout(() => void this.tick(), this.options.intervalMs);
    this.timer.unref();
  }
}
