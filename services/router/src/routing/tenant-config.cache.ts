import type { RoutingConfigRepository } from '../configuration/routing-config.repository';
import type { TenantRoutingConfig } from '../configuration/routing-config.schema';
import type { TenantId } from '../configuration/tenant-id';
import type { Clock } from '../assignment/dispatch-queue.usecase';
import type { TenantConfigSource } from './routing-ports';

/**
 * Configuration read through a short-lived cache: routing runs on every conversation event and
 * every tick, and configuration changes are rare. A change is visible within `ttlMs`.
 */
export class CachedTenantConfigSource implements TenantConfigSource {
  private readonly configs = new Map<
    TenantId,
    { value: TenantRoutingConfig | undefined; at: number }
  >();
  private tenantList: { value: TenantId[]; at: number } | undefined;

  constructor(
    private readonly repository: RoutingConfigRepository,
    private readonly clock: Clock,
    private readonly ttlMs = 5_000,
  ) {}

  async get(tenantId: TenantId): Promise<TenantRoutingConfig | undefined> {
    const cached = this.configs.get(tenantId);
    if (cached && this.clock.now() - cached.at < this.ttlMs) return cached.value;
    const loaded = await this.repository.loadTenantConfig(tenantId);
    const value = loaded.queues.length > 0 ? loaded : undefined;
    this.configs.set(tenantId, { value, at: this.clock.now() });
    return value;
  }

  async tenants(): Promise<TenantId[]> {
    if (this.tenantList && this.clock.now() - this.tenantList.at < this.ttlMs)
      return this.tenantList.value;
    const value = await this.repository.listTenants();
    this.tenantList = { value, at: this.clock.now() };
    return value;
  }
}
