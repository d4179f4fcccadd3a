import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import type { ChatMetrics } from '../metrics/chat-metrics';
import type { SendEmailFallbacksUseCase } from './send-email-fallbacks.usecase';

/**
 * Runs the due-reply scan on every replica every `intervalMs`; the atomic claim in the schedule
 * is what keeps two replicas from handling one reply. A full batch is followed at once by the
 * next pass, so a backlog drains without waiting for the interval.
 */
export class EmailFallbackScanner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly sendFallbacks: SendEmailFallbacksUseCase,
    private readonly metrics: ChatMetrics,
    private readonly logger: Logger,
    private readonly options: { intervalMs: number; batchSize: number },
  ) {}

  onApplicationBootstrap(): void {
    this.next(this.options.intervalMs);
  }

  private next(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pass().then((full) => {
        this.running = undefined;
        this.next(full ? 0 : this.options.intervalMs);
      });
    }, delayMs);
  }

  /** Resolves true when the batch was full (more may be due). Never rejects. */
  private async pass(): Promise<boolean> {
    try {
      const results = await this.sendFallbacks.execute();
      for (const { entry, outcome, error } of results) {
        this.metrics.emailFallback(outcome);
        if (outcome === 'failed') {
          this.logger.warn({ err: error, ...entry }, 'email fallback failed; retried later');
        } else if (outcome === 'sent') {
          this.logger.info(entry, 'unacknowledged reply sent by email');
        }
      }
      return results.length >= this.options.batchSize;
    } catch (error) {
      this.logger.warn({ err: error }, 'email fallback scan failed; retrying');
      return false;
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
