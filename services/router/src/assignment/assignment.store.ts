import type { RedisClient } from '@switchboard/redis';
import {
  ACCEPT_OFFER,
  APPLY_DUE_STEPS,
  COMPLETE_TASK,
  CONFIGURE_AGENT,
  CONFIGURE_QUEUE,
  DECLINE_OFFER,
  ENQUEUE_TASK,
  EXPIRE_OFFERS,
  HEARTBEAT,
  OFFER_TASK,
  SET_STATUS,
  SWEEP_SILENT_AGENTS,
  SYNC_QUEUES,
} from './assignment.lua';
import type {
  AgentRoutingProfile,
  AgentStatus,
  AppliedStep,
  CandidateReport,
  CandidateVerdict,
  OfferOutcome,
  QueueDynamics,
  QueueSettings,
  ReleasedTask,
  RoutingTask,
  SelectionPath,
} from './assignment.types';
import { LuaScript } from './lua-script';

const scripts = {
  configureQueue: new LuaScript('configure-queue', CONFIGURE_QUEUE),
  configureAgent: new LuaScript('configure-agent', CONFIGURE_AGENT),
  setStatus: new LuaScript('set-status', SET_STATUS),
  heartbeat: new LuaScript('heartbeat', HEARTBEAT),
  sweepSilentAgents: new LuaScript('sweep-silent-agents', SWEEP_SILENT_AGENTS),
  enqueueTask: new LuaScript('enqueue-task', ENQUEUE_TASK),
  offerTask: new LuaScript('offer-task', OFFER_TASK),
  acceptOffer: new LuaScript('accept-offer', ACCEPT_OFFER),
  declineOffer: new LuaScript('decline-offer', DECLINE_OFFER),
  expireOffers: new LuaScript('expire-offers', EXPIRE_OFFERS),
  completeTask: new LuaScript('complete-task', COMPLETE_TASK),
  syncQueues: new LuaScript('sync-queues', SYNC_QUEUES),
  applyDueSteps: new LuaScript('apply-due-steps', APPLY_DUE_STEPS),
};

/** How much waiting time one step of priority is worth when a queue does not say. */
export const PRIORITY_STEP_MS = 10 * 60_000;

/** Agents an offer's explanation lists at most, so a large queue does not bloat the event. */
export const CANDIDATE_LIMIT = 10;
/**
 * Ready agents one offer may look at, best first, 50 per page. Usually the first page has the
 * agent; when the best agents do not qualify (a rare language, a high skill level) later pages are
 * looked at rather than leaving the task waiting while a qualified agent sits idle further down.
 */
export const DEFAULT_MAX_CANDIDATES = 500;

/**
 * A queue's order: higher priority first, then older first. Priority is expressed as waiting time
 * credit (the queue's priorityStepMs per step, 10 minutes by default), so a long-waiting normal
 * task eventually overtakes a fresh urgent one (the aging boost) instead of starving behind a
 * stream of urgent work. ENQUEUE_TASK computes the same in Lua.
 */
export function taskScore(
  priority: number,
  enqueuedAt: number,
  priorityStepMs = PRIORITY_STEP_MS,
): number {
  return enqueuedAt - priority * priorityStepMs;
}

function candidateReport(
  passedOver: string | undefined,
  listed: string | undefined,
): CandidateReport {
  const parsed: unknown = listed ? JSON.parse(listed) : [];
  // cjson encodes an empty Lua table as an object.
  const rows = Array.isArray(parsed) ? (parsed as unknown[]) : [];
  const candidates: CandidateVerdict[] = rows.map((row) => {
    const [agentId, reason] = Array.isArray(row) ? (row as string[]) : [];
    return { agentId: agentId ?? '', chosen: !reason, reason: reason ?? '' };
  });
  return { candidates, passedOver: Number(passedOver ?? 0) };
}

const SAFE_ID = /^[^{}\s]{1,200}$/;

function assertId(kind: string, value: string): void {
  if (!SAFE_ID.test(value)) throw new Error(`invalid ${kind} id ${JSON.stringify(value)}`);
}

function strings(reply: unknown): string[] {
  return Array.isArray(reply) ? reply.map((value) => String(value)) : [];
}

function releasedFrom(flat: string[]): ReleasedTask[] {
  const released: ReleasedTask[] = [];
  for (let index = 0; index + 2 < flat.length; index += 3) {
    released.push({ agentId: flat[index]!, taskId: flat[index + 1]!, queueId: flat[index + 2]! });
  }
  return released;
}

/**
 * The router's hot routing state in Redis: agents' presence and capacity, waiting tasks, offers
 * and assignments. Every change is one atomic Lua script (see assignment.lua.ts).
 */
export class AssignmentStore {
  private readonly clientPrefix: string;

  constructor(private readonly redis: RedisClient) {
    this.clientPrefix = redis.options.keyPrefix ?? '';
  }

  private async run(
    script: LuaScript,
    tenantId: string,
    args: readonly (string | number)[],
  ): Promise<unknown> {
    assertId('tenant', tenantId);
    const tag = `{${tenantId}}:`;
    return script.run(this.redis, [`${tag}offers`], [`${this.clientPrefix}${tag}`, ...args]);
  }

  async configureQueue(tenantId: string, queue: QueueSettings): Promise<void> {
    assertId('queue', queue.queueId);
    await this.run(scripts.configureQueue, tenantId, [
      queue.queueId,
      queue.channel,
      queue.strategy,
      queue.offerTtlMs,
      queue.autoAccept ? '1' : '0',
    ]);
  }

  async configureAgent(tenantId: string, profile: AgentRoutingProfile): Promise<void> {
    assertId('agent', profile.agentId);
    profile.queues.forEach((queueId) => assertId('queue', queueId));
    await this.run(scripts.configureAgent, tenantId, [
      profile.agentId,
      JSON.stringify({
        capacities: profile.capacities,
        skills: profile.skills,
        languages: profile.languages,
        queues: profile.queues,
      }),
    ]);
  }

  /** Changes presence; going offline releases the agent's offers (and assignments if asked). */
  async setStatus(
    tenantId: string,
    agentId: string,
    status: AgentStatus,
    now: number,
    options: { requeueAssigned: boolean },
  ): Promise<ReleasedTask[]> {
    const reply = await this.run(scripts.setStatus, tenantId, [
      agentId,
      status,
      now,
      options.requeueAssigned ? '1' : '0',
    ]);
    return releasedFrom(strings(reply));
  }

  async heartbeat(tenantId: string, agentId: string, now: number): Promise<boolean> {
    return (await this.run(scripts.heartbeat, tenantId, [agentId, now])) === 1;
  }

  /** Turns agents whose last heartbeat is older than `cutoff` offline. */
  async sweepSilentAgents(
    tenantId: string,
    cutoff: number,
    options: { requeueAssigned: boolean; limit?: number },
  ): Promise<{ offline: string[]; released: ReleasedTask[] }> {
    const reply = await this.run(scripts.sweepSilentAgents, tenantId, [
      cutoff,
      options.requeueAssigned ? '1' : '0',
      options.limit ?? 500,
    ]);
    const parts: unknown[] = Array.isArray(reply) ? (reply as unknown[]) : [];
    const [offline, released] = parts;
    return { offline: strings(offline), released: releasedFrom(strings(released)) };
  }

  /** Adds a task to its queue; a task that is already waiting, offered or assigned is left alone. */
  async enqueueTask(tenantId: string, task: RoutingTask): Promise<'enqueued' | 'exists'> {
    assertId('task', task.taskId);
    assertId('queue', task.queueId);
    const [outcome] = strings(
      await this.run(scripts.enqueueTask, tenantId, [
        task.taskId,
        task.queueId,
        task.channel,
        task.units,
        task.language,
        task.priority,
        task.enqueuedAt,
        JSON.stringify(task.requiredSkills),
      ]),
    );
    return outcome === 'ENQUEUED' ? 'enqueued' : 'exists';
  }

  async offerTask(
    tenantId: string,
    queueId: string,
    taskId: string,
    now: number,
    maxCandidates = DEFAULT_MAX_CANDIDATES,
  ): Promise<OfferOutcome> {
    const [kind, first, second, via, passedOver, listed] = strings(
      await this.run(scripts.offerTask, tenantId, [
        queueId,
        taskId,
        now,
        maxCandidates,
        CANDIDATE_LIMIT,
      ]),
    );
    switch (kind) {
      case 'OFFERED':
        return {
          kind: 'offered',
          agentId: first!,
          expiresAt: Number(second),
          via: via as SelectionPath,
          ...candidateReport(passedOver, listed),
        };
      case 'ASSIGNED':
        return {
          kind: 'assigned',
          agentId: first!,
          via: via as SelectionPath,
          ...candidateReport(passedOver, listed),
        };
      case 'NO_AGENT':
        return { kind: 'no_agent', ...candidateReport(passedOver, listed) };
      case 'QUEUE_CLOSED':
        return { kind: 'queue_closed' };
      case 'TASK_NOT_WAITING':
      case undefined:
      default:
        return { kind: 'task_not_waiting', state: first ?? 'unknown' };
    }
  }

  /**
   * Writes the queues' dynamics (business-hours state, overflow steps, weights, preferences).
   * Returns, per queue with a maximum wait, how many of its own tasks wait longer than that.
   */
  async syncQueues(
    tenantId: string,
    now: number,
    queues: readonly QueueDynamics[],
  ): Promise<Map<string, number>> {
    queues.forEach((queue) => assertId('queue', queue.queueId));
    const encoded = queues.map((queue) => ({
      id: queue.queueId,
      closed: queue.closed ? '1' : '0',
      steps: queue.steps.length > 0 ? JSON.stringify(queue.steps) : undefined,
      req:
        queue.relaxableSkills && Object.keys(queue.relaxableSkills).length > 0
          ? JSON.stringify(queue.relaxableSkills)
          : undefined,
      unitsPerTask: queue.unitsPerTask?.toString(),
      priorityStepMs: queue.priorityStepMs?.toString(),
      preferPreviousMs: queue.preferPreviousMs ? queue.preferPreviousMs.toString() : undefined,
      requeueAssigned:
        queue.requeueAssignedOnOffline === undefined
          ? undefined
          : queue.requeueAssignedOnOffline
            ? '1'
            : '0',
      maxWaitMs: queue.maxWaitMs,
    }));
    const flat = strings(
      await this.run(scripts.syncQueues, tenantId, [now, JSON.stringify(encoded)]),
    );
    const overMaxWait = new Map<string, number>();
    for (let index = 0; index + 1 < flat.length; index += 2) {
      overMaxWait.set(flat[index]!, Number(flat[index + 1]));
    }
    return overMaxWait;
  }

  /** Applies the overflow steps that are due (one per task per call; idempotent across replicas). */
  async applyDueSteps(tenantId: string, now: number, limit = 500): Promise<AppliedStep[]> {
    const flat = strings(await this.run(scripts.applyDueSteps, tenantId, [now, limit]));
    const applied: AppliedStep[] = [];
    for (let index = 0; index + 4 < flat.length; index += 5) {
      applied.push({
        taskId: flat[index]!,
        queueId: flat[index + 1]!,
        step: Number(flat[index + 2]),
        kind: flat[index + 3] as AppliedStep['kind'],
        detail: flat[index + 4]!,
      });
    }
    return applied;
  }

  async acceptOffer(tenantId: string, taskId: string, agentId: string): Promise<boolean> {
    const [outcome] = strings(await this.run(scripts.acceptOffer, tenantId, [taskId, agentId]));
    return outcome === 'ASSIGNED';
  }

  /** The task returns to its queue and will not be offered to this agent again. */
  async declineOffer(tenantId: string, taskId: string, agentId: string): Promise<boolean> {
    const [outcome] = strings(await this.run(scripts.declineOffer, tenantId, [taskId, agentId]));
    return outcome === 'REQUEUED';
  }

  async expireOffers(tenantId: string, now: number, limit = 500): Promise<ReleasedTask[]> {
    const flat = strings(await this.run(scripts.expireOffers, tenantId, [now, limit]));
    const expired: ReleasedTask[] = [];
    for (let index = 0; index + 2 < flat.length; index += 3) {
      expired.push({ taskId: flat[index]!, agentId: flat[index + 1]!, queueId: flat[index + 2]! });
    }
    return expired;
  }

  async completeTask(
    tenantId: string,
    taskId: string,
  ): Promise<{ freedAgentId?: string; queueId?: string }> {
    const [outcome, agentId, queueId] = strings(
      await this.run(scripts.completeTask, tenantId, [taskId]),
    );
    return outcome === 'COMPLETED' ? { freedAgentId: agentId, queueId } : {};
  }

  private key(tenantId: string, suffix: string): string {
    assertId('tenant', tenantId);
    return `{${tenantId}}:${suffix}`;
  }

  async waitingTasks(tenantId: string, queueId: string, limit: number): Promise<string[]> {
    return this.redis.zrange(this.key(tenantId, `queue:${queueId}:waiting`), 0, limit - 1);
  }

  async waitingCount(tenantId: string, queueId: string): Promise<number> {
    return this.redis.zcard(this.key(tenantId, `queue:${queueId}:waiting`));
  }

  async readyAgentCount(tenantId: string, queueId: string): Promise<number> {
    return this.redis.zcard(this.key(tenantId, `queue:${queueId}:ready`));
  }

  async queuesOfAgent(tenantId: string, agentId: string): Promise<string[]> {
    return this.redis.smembers(this.key(tenantId, `agent:${agentId}:queues`));
  }

  async agentPresence(
    tenantId: string,
    agentId: string,
  ): Promise<{ status?: AgentStatus; since?: number }> {
    const [status, since] = await this.redis.hmget(
      this.key(tenantId, `agent:${agentId}`),
      'status',
      'statusAt',
    );
    return {
      status: (status as AgentStatus | null) ?? undefined,
      since: since === null ? undefined : Number(since),
    };
  }

  /** Offers the agent has not answered yet (a new offer stream starts with them). */
  async openOffersOf(
    tenantId: string,
    agentId: string,
  ): Promise<{ taskId: string; queueId: string; expiresAt: number }[]> {
    const taskIds = await this.redis.smembers(this.key(tenantId, `agent:${agentId}:tasks`));
    const offers = [];
    for (const taskId of taskIds.sort()) {
      const [state, agent, queueId, expiresAt] = await this.redis.hmget(
        this.key(tenantId, `task:${taskId}`),
        'state',
        'agent',
        'queue',
        'expiresAt',
      );
      if (state === 'offered' && agent === agentId && queueId && expiresAt) {
        offers.push({ taskId, queueId, expiresAt: Number(expiresAt) });
      }
    }
    return offers;
  }

  async taskState(
    tenantId: string,
    taskId: string,
  ): Promise<{ state?: string; agentId?: string; queueId?: string }> {
    const [state, agentId, queueId] = await this.redis.hmget(
      this.key(tenantId, `task:${taskId}`),
      'state',
      'agent',
      'queue',
    );
    return {
      state: state ?? undefined,
      agentId: agentId ?? undefined,
      queueId: queueId ?? undefined,
    };
  }

  /** How a task stands in its queue: what overflow steps and priority rules changed so far. */
  async taskRouting(
    tenantId: string,
    taskId: string,
  ): Promise<{
    priority: number;
    language: string;
    units: number;
    stepsApplied: number;
    relaxedBy: number;
    widenedTo: string[];
    lastAgentId?: string;
  }> {
    const taskKey = this.key(tenantId, `task:${taskId}`);
    const [priority, language, units, step, relax, lastAgent] = await this.redis.hmget(
      taskKey,
      'priority',
      'lang',
      'units',
      'step',
      'relax',
      'lastAgent',
    );
    const widenedTo = await this.redis.smembers(`${taskKey}:queues`);
    return {
      priority: Number(priority ?? 0),
      language: language ?? '',
      units: Number(units ?? 1),
      stepsApplied: Number(step ?? 0),
      relaxedBy: Number(relax ?? 0),
      widenedTo: widenedTo.sort(),
      lastAgentId: lastAgent ?? undefined,
    };
  }
}
