import type { RoutingDecisionEvent } from '@switchboard/events';
import type { TenantRoutingConfig } from '../configuration/routing-config.schema';
import type { TenantId } from '../configuration/tenant-id';

/** Where decisions go (Kafka in production, a list in tests). */
export interface DecisionPublisher {
  publish(decisions: readonly RoutingDecisionEvent[]): Promise<void>;
}

/** A tenant's routing configuration, or undefined when the tenant has none. */
export interface TenantConfigSource {
  get(tenantId: TenantId): Promise<TenantRoutingConfig | undefined>;
  tenants(): Promise<TenantId[]>;
}

export interface IdGenerator {
  next(): string;
}
