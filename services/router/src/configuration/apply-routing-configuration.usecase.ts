import type { Clock } from '../assignment/dispatch-queue.usecase';
import type { ProjectRoutingStateUseCase } from './project-routing-state.usecase';
import {
  type ConfigSource,
  ConfigVersionConflictError,
  type RoutingConfigRepository,
} from './routing-config.repository';
import type { RoutingConfigFile, TenantRoutingConfig } from './routing-config.schema';
import { type TenantId, toTenantId } from './tenant-id';

const MAX_BOOTSTRAP_ATTEMPTS = 10;

export interface AppliedTenantConfig {
  tenant: TenantId;
  version: number;
  /** False when the stored configuration was already this one (nothing written). */
  changed: boolean;
  queues: number;
  agents: number;
}

/**
 * Stores a validated configuration durably as a new version, then refreshes the hot state from it.
 *
 * The bootstrap file is applied at every start, but a tenant's entry only writes a version when it
 * differs from what the file said last time: restarting with an unchanged file keeps what
 * supervisors changed through the API since, while an edited file takes effect.
 */
export class ApplyRoutingConfigurationUseCase {
  constructor(
    private readonly repository: RoutingConfigRepository,
    private readonly project: ProjectRoutingStateUseCase,
    private readonly clock: Clock,
  ) {}

  /** The bootstrap file: every tenant it lists. */
  async execute(config: RoutingConfigFile): Promise<AppliedTenantConfig[]> {
    const applied: AppliedTenantConfig[] = [];
    for (const tenantConfig of config.tenants) {
      const tenantId = toTenantId(tenantConfig.tenant);
      const result = await this.applyBootstrapEntry(tenantId, tenantConfig);
      applied.push({ tenant: tenantId, ...result, ...(await this.project.execute(tenantId)) });
    }
    return applied;
  }

  /**
   * Replicas starting together all read the same file: the first writes it, the others find it
   * written (a conditional write on the head they read, re-checked after losing a race).
   */
  private async applyBootstrapEntry(
    tenantId: TenantId,
    config: TenantRoutingConfig,
  ): Promise<{ version: number; changed: boolean }> {
    for (let attempt = 1; ; attempt += 1) {
      const head = (await this.repository.head(tenantId))?.version ?? 0;
      const fromFile = await this.repository.latestFromBootstrap(tenantId);
      if (fromFile && sameConfig(fromFile.config, config, tenantId)) {
        return { version: head, changed: false };
      }
      try {
        return { version: await this.store(tenantId, config, head, 'bootstrap'), changed: true };
      } catch (error) {
        if (!(error instanceof ConfigVersionConflictError) || attempt >= MAX_BOOTSTRAP_ATTEMPTS) {
          throw error;
        }
      }
    }
  }

  /** One tenant's configuration from the API; without `expectedVersion` it overwrites. */
  async applyTenant(
    tenantId: TenantId,
    config: TenantRoutingConfig,
    expectedVersion: number | undefined,
  ): Promise<AppliedTenantConfig> {
    const version = await this.store(tenantId, config, expectedVersion, 'api');
    return { tenant: tenantId, version, changed: true, ...(await this.project.execute(tenantId)) };
  }

  private async store(
    tenantId: TenantId,
    config: TenantRoutingConfig,
    expectedVersion: number | undefined,
    source: ConfigSource,
  ): Promise<number> {
    const saved = await this.repository.saveVersion(tenantId, config, {
      expectedVersion,
      source,
      now: new Date(this.clock.now()),
    });
    return saved.version;
  }
}

function sameConfig(a: TenantRoutingConfig, b: TenantRoutingConfig, tenant: TenantId): boolean {
  return JSON.stringify({ ...a, tenant }) === JSON.stringify({ ...b, tenant });
}
