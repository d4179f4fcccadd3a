/**
 * Periodic background jobs that never overlap themselves and that stop cleanly: stop() waits for
 * a run in progress. A failed run is reported and retried at the next tick.
 */
export class BackgroundTimers {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(private readonly onError: (job: string, error: unknown) => void = () => undefined) {}

  every(job: string, intervalMs: number, run: () => Promise<unknown>): void {
    const tick = (): void => {
      if (this.stopped) return;
      const execution = run()
        .catch((error: unknown) => this.onError(job, error))
        .finally(() => {
          this.running.delete(execution);
          if (!this.stopped) this.timers.set(job, setTimeout(tick, intervalMs));
        });
      this.running.add(execution);
    };
    this.timers.set(job, setTimeout(tick, intervalMs));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    await Promise.all([...this.running]);
  }
}
