import {
  FailedPreconditionError,
  InvalidArgumentError,
  type Principal,
  RequestError,
} from '@switchboard/grpc-kit';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { parse, stringify } from 'yaml';
import type { ApplyRoutingConfigurationUseCase } from '../configuration/apply-routing-configuration.usecase';
import {
  ConfigVersionConflictError,
  type RoutingConfigRepository,
} from '../configuration/routing-config.repository';
import {
  tenantRoutingConfigSchema,
  type TenantRoutingConfig,
} from '../configuration/routing-config.schema';
import type { TenantId } from '../configuration/tenant-id';
import { requireSupervisor } from './admin-access';
import type { HotStateReader } from './hot-state.reader';

/** The stored version is not the one the caller read: ABORTED, so the client re-reads. */
export class AbortedError extends RequestError {
  readonly grpcCode = GrpcStatus.ABORTED;
  override readonly name = 'AbortedError';
}

export interface RoutingConfigView {
  /** YAML of the tenant's entry, without `tenant`; empty when there is none. */
  document: string;
  version: number;
  updatedAt?: Date;
}

/** Problems reported per request, so a long list stays readable. */
const MAX_REPORTED_PROBLEMS = 10;

/** GetRoutingConfig and PutRoutingConfig: the tenant's configuration as a versioned document. */
export class RoutingConfigUseCases {
  constructor(
    private readonly repository: RoutingConfigRepository,
    private readonly apply: ApplyRoutingConfigurationUseCase,
    private readonly hotState: HotStateReader,
  ) {}

  async get(principal: Principal): Promise<RoutingConfigView> {
    const tenantId = requireSupervisor(principal, 'GetRoutingConfig');
    const head = await this.repository.head(tenantId);
    if (!head) return { document: '', version: 0 };
    const { tenant: _tenant, ...entry } = head.config;
    return { document: stringify(entry), version: head.version, updatedAt: head.updatedAt };
  }

  async put(
    principal: Principal,
    document: string,
    expectedVersionText: string,
  ): Promise<{ version: number }> {
    const tenantId = requireSupervisor(principal, 'PutRoutingConfig');
    const expectedVersion = parseVersion(expectedVersionText);
    const config = parseDocument(document, tenantId);
    await this.refuseDroppingBusyQueues(tenantId, config);
    try {
      // 0: overwrite whatever is stored (the proto's convention).
      const applied = await this.apply.applyTenant(
        tenantId,
        config,
        expectedVersion === 0 ? undefined : expectedVersion,
      );
      return { version: applied.version };
    } catch (error) {
      if (error instanceof ConfigVersionConflictError) throw new AbortedError(error.message);
      throw error;
    }
  }

  /**
   * A queue that conversations are waiting in, or offered from, cannot be dropped: they would
   * wait there for ever. The supervisor moves or ends that work first.
   */
  private async refuseDroppingBusyQueues(
    tenantId: TenantId,
    config: TenantRoutingConfig,
  ): Promise<void> {
    const current = await this.repository.head(tenantId);
    const kept = new Set(config.queues.map((queue) => queue.id));
    for (const queue of current?.config.queues ?? []) {
      if (kept.has(queue.id)) continue;
      const waiting = await this.hotState.waitingCount(tenantId, queue.id);
      const offered = await this.hotState.openOfferCount(tenantId, queue.id);
      if (waiting + offered > 0) {
        throw new FailedPreconditionError(
          `queue ${queue.id} still has ${waiting} waiting and ${offered} offered conversations; keep it until they are routed`,
        );
      }
    }
  }
}

function parseVersion(text: string): number {
  const value = Number(text || '0');
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError('expected_version', 'must be 0 or a version read before');
  }
  return value;
}

/** YAML or JSON (JSON is YAML) of one tenant's entry, validated as a whole. */
export function parseDocument(document: string, tenantId: TenantId): TenantRoutingConfig {
  if (!document.trim()) throw new InvalidArgumentError('document', 'is required');
  let parsed: unknown;
  try {
    parsed = parse(document);
  } catch (error) {
    throw new InvalidArgumentError(
      'document',
      `is not valid YAML or JSON (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidArgumentError('document', 'must be a mapping of skills, queues, agents …');
  }
  const entry = parsed as Record<string, unknown>;
  if (entry['tenant'] !== undefined && entry['tenant'] !== tenantId) {
    throw new InvalidArgumentError('document.tenant', "must be the caller's tenant or left out");
  }
  const result = tenantRoutingConfigSchema.safeParse({ ...entry, tenant: tenantId });
  if (result.success) return result.data;
  const [first, ...others] = result.error.issues
    .slice(0, MAX_REPORTED_PROBLEMS)
    .map((issue) => ({ path: ['document', ...issue.path].join('.'), message: issue.message }));
  if (!first) throw new InvalidArgumentError('document', 'is not a valid routing configuration');
  const more = others.map((issue) => `; ${issue.path}: ${issue.message}`).join('');
  throw new InvalidArgumentError(first.path, `${first.message}${more}`);
}
