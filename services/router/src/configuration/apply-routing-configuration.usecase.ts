import type { Clock } from '../assignment/dispatch-queue.usecase';
import type { ProjectRoutingStateUseCase } from './project-routing-state.usecase';
import type { RoutingConfigRepository } from './routing-config.repository';
import type { RoutingConfigFile } from './routing-config.schema';
import { toTenantId } from './tenant-id';

/** Stores a validated configuration document durably, then refreshes the hot state from it. */
export class ApplyRoutingConfigurationUseCase {
  constructor(
    private readonly repository: RoutingConfigRepository,
    private readonly project: ProjectRoutingStateUseCase,
    private readonly clock: Clock,
  ) {}

  async execute(
    config: RoutingConfigFile,
  ): Promise<{ tenant: string; queues: number; agents: number }[]> {
    const applied = [];
    for (const tenantConfig of config.tenants) {
      const tenantId = toTenantId(tenantConfig.tenant);
      await this.repository.upsertTenantConfig(tenantId, tenantConfig, new Date(this.clock.now()));
      applied.push({ tenant: tenantId, ...(await this.project.execute(tenantId)) });
    }
    return applied;
  }
}
