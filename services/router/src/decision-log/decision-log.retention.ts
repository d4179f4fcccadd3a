import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ROOT_LOGGER } from '@switchboard/service-kit';
import type { Logger } from 'pino';
import type { RouterConfig } from '../config/router.config';
import { ROUTER_CONFIG } from '../routing/router-runtime';
import { DECISION_LOG } from './decision-log.consumer';
import type { DecisionLogRepository } from './decision-log.repository';

const DAY_MS = 24 * 60 * 60 * 1_000;
/** Decisions deleted per statement: bounded, so a large backlog never holds the database long. */
const DELETE_BATCH = 5_000;
/** How often each replica prunes (idempotent, so every replica may; the first finds the work). */
const PRUNE_INTERVAL_MS = 60 * 60 * 1_000;

/** Deletes the decisions older than the retention, in bounded batches, until none is left. */
export class PruneDecisionLogUseCase {
  constructor(
    private readonly log: DecisionLogRepository,
    private readonly retentionDays: number,
    private readonly now: () => Date = () => new Date(),
    private readonly batchSize = DELETE_BATCH,
  ) {}

  async execute(): Promise<number> {
    const cutoff = new Date(this.now().getTime() - this.retentionDays * DAY_MS);
    let deleted = 0;
    for (;;) {
      const batch = await this.log.deleteDecidedBefore(cutoff, this.batchSize);
      deleted += batch;
      if (batch < this.batchSize) return deleted;
    }
  }
}

/** Runs the decision-log retention at start-up and then hourly (FerretDB has no TTL indexes). */
@Injectable()
export class DecisionLogRetention implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly prune: PruneDecisionLogUseCase;
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    @Inject(ROUTER_CONFIG) config: RouterConfig,
    @Inject(DECISION_LOG) log: DecisionLogRepository,
    @Inject(ROOT_LOGGER) rootLogger: Logger,
  ) {
    this.prune = new PruneDecisionLogUseCase(log, config.ROUTER_DECISION_LOG_RETENTION_DAYS);
    this.logger = rootLogger.child({ component: 'decision-log-retention' });
  }

  onApplicationBootstrap(): void {
    this.run();
    this.timer = setInterval(() => this.run(), PRUNE_INTERVAL_MS);
    this.timer.unref();
  }

  private run(): void {
    if (this.running) return;
    this.running = this.prune
      .execute()
      .then((deleted) => {
        if (deleted > 0) this.logger.info({ deleted }, 'routing decisions past retention deleted');
      })
      .catch((error: unknown) => {
        this.logger.warn({ err: error }, 'decision log retention failed; retried next hour');
      })
      .finally(() => {
        this.running = undefined;
      });
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
