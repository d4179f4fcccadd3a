import {
  InvalidArgumentError,
  isSupervisor,
  isSystem,
  NotFoundError,
  PermissionDeniedError,
  type Principal,
} from '@switchboard/grpc-kit';
import type { RoutingConfigRepository } from '../configuration/routing-config.repository';
import type { QueueConfig } from '../configuration/routing-config.schema';
import { toTenantId } from '../configuration/tenant-id';
import type { QueueFigures, QueueFiguresReader } from './queue-figures';

/**
 * GetQueueStats: supervisors see every queue of their tenant; agents see the queues their token
 * names (claim `queues`); a `system` token (a gateway) sees none. A queue id the tenant does not
 * have, another tenant's included, is NOT_FOUND.
 */
export class QueueStatsUseCase {
  constructor(
    private readonly repository: RoutingConfigRepository,
    private readonly figures: QueueFiguresReader,
  ) {}

  async execute(principal: Principal, queueIds: readonly string[]): Promise<QueueFigures[]> {
    const tenantId = toTenantId(principal.tenantId);
    const supervisor = isSupervisor(principal);
    // Like the conversation service, any token that is neither supervisor nor system is an agent's.
    if (!supervisor && isSystem(principal)) {
      throw new PermissionDeniedError('GetQueueStats is for supervisors and agents');
    }
    queueIds.forEach((queueId, index) => {
      if (!queueId.trim()) throw new InvalidArgumentError(`queue_ids[${index}]`, 'is empty');
    });
    const config = await this.repository.loadTenantConfig(tenantId);
    const byId = new Map(config.queues.map((queue) => [queue.id, queue]));
    const visible = (queueId: string) => supervisor || principal.queueIds.includes(queueId);

    let selected: QueueConfig[];
    if (queueIds.length === 0) {
      selected = config.queues.filter((queue) => visible(queue.id));
    } else {
      selected = [];
      for (const queueId of new Set(queueIds)) {
        const queue = byId.get(queueId);
        if (!queue) throw new NotFoundError(`no queue ${queueId}`);
        if (!visible(queueId)) {
          throw new PermissionDeniedError(`queue ${queueId} is not one of the caller's queues`);
        }
        selected.push(queue);
      }
    }
    return Promise.all(selected.map((queue) => this.figures.figures(tenantId, queue)));
  }
}
