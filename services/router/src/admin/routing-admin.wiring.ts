import type { RedisClient } from '@switchboard/redis';
import type { Connection } from 'mongoose';
import { AssignmentStore } from '../assignment/assignment.store';
import { ApplyRoutingConfigurationUseCase } from '../configuration/apply-routing-configuration.usecase';
import { ProjectRoutingStateUseCase } from '../configuration/project-routing-state.usecase';
import { RoutingConfigRepository } from '../configuration/routing-config.repository';
import type { DecisionLogRepository } from '../decision-log/decision-log.repository';
import { ExplainDecisionUseCase } from './explain-decision.usecase';
import { HotStateReader } from './hot-state.reader';
import { type Clock, type QueueOpeningHours, QueueFiguresReader } from './queue-figures';
import { QueueStatsUseCase } from './queue-stats.usecase';
import { RoutingConfigUseCases } from './routing-config.usecases';
import { WaitEstimateUseCase } from './wait-estimate.usecase';

export const ROUTING_ADMIN = Symbol('ROUTING_ADMIN');

/** The use cases behind RoutingAdminService, built from the router's MongoDB and Redis. */
export class RoutingAdmin {
  readonly config: RoutingConfigUseCases;
  readonly explain: ExplainDecisionUseCase;
  readonly queueStats: QueueStatsUseCase;
  readonly waitEstimate: WaitEstimateUseCase;
  private readonly repository: RoutingConfigRepository;
  private indexes: Promise<void> | undefined;

  constructor(
    mongo: Connection,
    redis: RedisClient,
    log: DecisionLogRepository,
    hours: QueueOpeningHours,
    clock: Clock,
  ) {
    this.repository = new RoutingConfigRepository(mongo);
    const hotState = new HotStateReader(redis);
    const project = new ProjectRoutingStateUseCase(this.repository, new AssignmentStore(redis));
    const apply = new ApplyRoutingConfigurationUseCase(this.repository, project, clock);
    const figures = new QueueFiguresReader(hotState, log, hours, clock);
    this.config = new RoutingConfigUseCases(this.repository, apply, hotState);
    this.explain = new ExplainDecisionUseCase(log);
    this.queueStats = new QueueStatsUseCase(this.repository, figures);
    this.waitEstimate = new WaitEstimateUseCase(this.repository, hotState, figures, hours, clock);
  }

  /**
   * The unique (tenant, version) index must exist before the first write: it is what makes
   * concurrent writers of one version fail. Created once per process, retried after a failure.
   */
  async ready(): Promise<void> {
    this.indexes ??= this.repository.ensureIndexes().catch((error: unknown) => {
      this.indexes = undefined;
      throw error;
    });
    await this.indexes;
  }
}
