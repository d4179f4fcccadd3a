import type { RedisClient } from '@switchboard/redis';
import type { TenantId } from '../configuration/tenant-id';

/**
 * Read-only views of the router's hot state in Redis (layout in assignment/assignment.lua.ts) for
 * statistics, estimates and metrics. Never writes: every change to that state stays an atomic
 * script of the assignment store. Every read is bounded (by queue members, open offers or a
 * fixed limit), never a scan of the keyspace.
 */
export class HotStateReader {
  constructor(private readonly redis: RedisClient) {}

  private key(tenantId: TenantId, suffix: string): string {
    return `{${tenantId}}:${suffix}`;
  }

  async waitingCount(tenantId: TenantId, queueId: string): Promise<number> {
    return this.redis.zcard(this.key(tenantId, `queue:${queueId}:waiting`));
  }

  /** Waiting counts of many queues in one round trip. */
  async waitingCounts(tenantId: TenantId, queueIds: readonly string[]): Promise<number[]> {
    if (queueIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const queueId of queueIds) pipeline.zcard(this.key(tenantId, `queue:${queueId}:waiting`));
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([error, value]) => {
      if (error) throw error;
      return Number(value);
    });
  }

  /** Eligible agents that are available with free capacity on the queue's channel. */
  async readyCount(tenantId: TenantId, queueId: string): Promise<number> {
    return this.redis.zcard(this.key(tenantId, `queue:${queueId}:ready`));
  }

  /** Eligible agents (queue members) by presence status. */
  async memberStatuses(tenantId: TenantId, queueId: string): Promise<Map<string, string>> {
    const members = await this.redis.smembers(this.key(tenantId, `queue:${queueId}:members`));
    const statuses = await this.hashFields(
      members.map((agentId) => this.key(tenantId, `agent:${agentId}`)),
      ['status'],
    );
    return new Map(members.map((agentId, index) => [agentId, statuses[index]?.[0] ?? 'offline']));
  }

  async onlineMemberCount(tenantId: TenantId, queueId: string): Promise<number> {
    let online = 0;
    for (const status of (await this.memberStatuses(tenantId, queueId)).values()) {
      if (status !== 'offline') online += 1;
    }
    return online;
  }

  /** Offers of the queue that wait for an agent's answer (the tenant's open offers, filtered). */
  async openOfferCount(tenantId: TenantId, queueId: string): Promise<number> {
    const offered = await this.redis.zrange(this.key(tenantId, 'offers'), 0, -1);
    const tasks = await this.hashFields(
      offered.map((taskId) => this.key(tenantId, `task:${taskId}`)),
      ['state', 'queue'],
    );
    return tasks.filter(([state, queue]) => state === 'offered' && queue === queueId).length;
  }

  /**
   * When the oldest waiting task was enqueued, or undefined when none waits. The waiting index is
   * ordered by priority-adjusted age, so the oldest task sits near its head: the first `limit`
   * tasks are read (a bounded cost; with more waiting behind higher priorities it is a lower bound).
   */
  async oldestWaitingSince(
    tenantId: TenantId,
    queueId: string,
    limit = 500,
  ): Promise<number | undefined> {
    const head = await this.redis.zrange(
      this.key(tenantId, `queue:${queueId}:waiting`),
      0,
      limit - 1,
    );
    const enqueued = await this.hashFields(
      head.map((taskId) => this.key(tenantId, `task:${taskId}`)),
      ['enqueuedAt'],
    );
    const times = enqueued.map(([at]) => Number(at)).filter((at) => Number.isFinite(at) && at > 0);
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  /** The task of a conversation, if the router holds one (state waiting, offered, assigned, done). */
  async task(
    tenantId: TenantId,
    taskId: string,
  ): Promise<{ state?: string; queueId?: string; agentId?: string }> {
    const [state, queueId, agentId] = await this.redis.hmget(
      this.key(tenantId, `task:${taskId}`),
      'state',
      'queue',
      'agent',
    );
    return {
      state: state ?? undefined,
      queueId: queueId ?? undefined,
      agentId: agentId ?? undefined,
    };
  }

  /** 0-based rank of a waiting task in its queue (0 = next to be offered). */
  async waitingRank(
    tenantId: TenantId,
    queueId: string,
    taskId: string,
  ): Promise<number | undefined> {
    const rank = await this.redis.zrank(this.key(tenantId, `queue:${queueId}:waiting`), taskId);
    return rank ?? undefined;
  }

  /** Status and load per channel of the given agents (absent agents read as offline). */
  async agentLoads(
    tenantId: TenantId,
    agents: readonly { agentId: string; channels: readonly string[] }[],
  ): Promise<{ agentId: string; status: string; load: Record<string, number> }[]> {
    const rows = await this.hashFields(
      agents.map((agent) => this.key(tenantId, `agent:${agent.agentId}`)),
      agents.map((agent) => ['status', ...agent.channels.map((channel) => `load:${channel}`)]),
    );
    return agents.map((agent, index) => {
      const [status, ...loads] = rows[index] ?? [];
      return {
        agentId: agent.agentId,
        status: status ?? 'offline',
        load: Object.fromEntries(
          agent.channels.map((channel, position) => [channel, Number(loads[position] ?? 0) || 0]),
        ),
      };
    });
  }

  /** HMGET of many hashes in one round trip. */
  private async hashFields(
    keys: readonly string[],
    fields: readonly string[] | readonly (readonly string[])[],
  ): Promise<(string | null)[][]> {
    if (keys.length === 0) return [];
    const pipeline = this.redis.pipeline();
    keys.forEach((key, index) => {
      const these = (Array.isArray(fields[0]) ? fields[index] : fields) as string[];
      pipeline.hmget(key, ...these);
    });
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([error, value]) => {
      if (error) throw error;
      return value as (string | null)[];
    });
  }
}
