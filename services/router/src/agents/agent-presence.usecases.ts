import {
  FailedPreconditionError,
  InvalidArgumentError,
  type Principal,
} from '@switchboard/grpc-kit';
import type { RoutingDecisionEvent } from '@switchboard/events';
import type { AssignmentStore } from '../assignment/assignment.store';
import type { AgentStatus } from '../assignment/assignment.types';
import type { Clock, DispatchQueueUseCase } from '../assignment/dispatch-queue.usecase';
import { toTenantId } from '../configuration/tenant-id';
import type { DecisionFactory } from '../routing/decision-factory';
import type { DecisionPublisher, TenantConfigSource } from '../routing/routing-ports';
import type { OfferNotice } from './offer-notifier';

export interface PresenceView {
  agentId: string;
  status: AgentStatus;
  changedAt: Date;
  expiresAt: Date;
}

/**
 * Presence, heartbeats and answers to offers, for the calling agent only (agent and tenant come
 * from the verified token). Every change that can free capacity dispatches the agent's queues, so
 * work flows the moment an agent becomes available or answers.
 */
export class AgentPresenceUseCases {
  constructor(
    private readonly store: AssignmentStore,
    private readonly dispatch: DispatchQueueUseCase,
    private readonly configs: TenantConfigSource,
    private readonly decisions: DecisionFactory,
    private readonly publisher: DecisionPublisher,
    private readonly clock: Clock,
    private readonly heartbeatTtlMs: number,
    private readonly requeueAssignedOnOffline: boolean,
  ) {}

  private async knownAgent(principal: Principal): Promise<ReturnType<typeof toTenantId>> {
    const tenantId = toTenantId(principal.tenantId);
    const config = await this.configs.get(tenantId);
    if (!config?.agents.some((agent) => agent.id === principal.agentId)) {
      throw new FailedPreconditionError(
        `agent ${principal.agentId} has no routing profile in this tenant`,
      );
    }
    return tenantId;
  }

  async setPresence(principal: Principal, status: AgentStatus | undefined): Promise<PresenceView> {
    if (!status) throw new InvalidArgumentError('status', 'is required');
    const tenantId = await this.knownAgent(principal);
    const now = this.clock.now();
    const released = await this.store.setStatus(tenantId, principal.agentId, status, now, {
      requeueAssigned: this.requeueAssignedOnOffline,
    });
    const made: RoutingDecisionEvent[] = released.map((task) =>
      this.decisions.create({
        tenantId,
        conversationId: task.taskId,
        queueId: task.queueId,
        type: 'requeued',
        agentId: task.agentId,
        at: now,
        reason: 'the agent went offline; the conversation keeps its place in the queue',
      }),
    );
    made.push(
      ...(await this.dispatchAgentQueues(
        tenantId,
        principal.agentId,
        released.map((task) => task.queueId),
      )),
    );
    await this.publisher.publish(made);
    const { since = now } = await this.store.agentPresence(tenantId, principal.agentId);
    return this.view(principal.agentId, status, now, since);
  }

  async heartbeat(principal: Principal): Promise<PresenceView> {
    const tenantId = await this.knownAgent(principal);
    const now = this.clock.now();
    if (!(await this.store.heartbeat(tenantId, principal.agentId, now))) {
      throw new FailedPreconditionError('the agent is offline: set presence first');
    }
    const { status = 'offline', since = now } = await this.store.agentPresence(
      tenantId,
      principal.agentId,
    );
    return this.view(principal.agentId, status, now, since);
  }

  async acceptOffer(principal: Principal, conversationId: string): Promise<void> {
    if (!conversationId) throw new InvalidArgumentError('conversation_id', 'is required');
    const tenantId = toTenantId(principal.tenantId);
    if (!(await this.store.acceptOffer(tenantId, conversationId, principal.agentId))) {
      throw new FailedPreconditionError(
        'no open offer of this conversation for the caller (expired or taken)',
      );
    }
    const { queueId = '' } = await this.store.taskState(tenantId, conversationId);
    await this.publisher.publish([
      this.decisions.create({
        tenantId,
        conversationId,
        queueId,
        type: 'assigned',
        agentId: principal.agentId,
        at: this.clock.now(),
        reason: 'the agent accepted the offer',
      }),
    ]);
  }

  async rejectOffer(principal: Principal, conversationId: string, reason: string): Promise<void> {
    if (!conversationId) throw new InvalidArgumentError('conversation_id', 'is required');
    const tenantId = toTenantId(principal.tenantId);
    const { queueId = '' } = await this.store.taskState(tenantId, conversationId);
    if (!(await this.store.declineOffer(tenantId, conversationId, principal.agentId))) {
      throw new FailedPreconditionError(
        'no open offer of this conversation for the caller (expired or taken)',
      );
    }
    const made = [
      this.decisions.create({
        tenantId,
        conversationId,
        queueId,
        type: 'offer_declined',
        agentId: principal.agentId,
        at: this.clock.now(),
        reason: reason ? `declined by the agent: ${reason}` : 'declined by the agent',
      }),
      ...(await this.dispatchAgentQueues(tenantId, principal.agentId, [queueId])),
    ];
    await this.publisher.publish(made);
  }

  /** Offers still open for the agent, for the start of an offer stream. */
  async openOffers(principal: Principal): Promise<OfferNotice[]> {
    const tenantId = toTenantId(principal.tenantId);
    return (await this.store.openOffersOf(tenantId, principal.agentId)).map((offer) => ({
      tenantId,
      agentId: principal.agentId,
      conversationId: offer.taskId,
      queueId: offer.queueId,
      expiresAt: new Date(offer.expiresAt).toISOString(),
      reason: 'offer still open',
    }));
  }

  private async dispatchAgentQueues(
    tenantId: ReturnType<typeof toTenantId>,
    agentId: string,
    extraQueues: string[],
  ): Promise<RoutingDecisionEvent[]> {
    const config = await this.configs.get(tenantId);
    const queues = new Set([
      ...(await this.store.queuesOfAgent(tenantId, agentId)),
      ...extraQueues,
    ]);
    const made: RoutingDecisionEvent[] = [];
    for (const queueId of queues) {
      if (!queueId) continue;
      const strategy =
        config?.queues.find((queue) => queue.id === queueId)?.strategy ?? 'longest_idle';
      for (const decision of await this.dispatch.execute(tenantId, queueId)) {
        made.push(this.decisions.fromDispatch(decision, strategy));
      }
    }
    return made;
  }

  private view(agentId: string, status: AgentStatus, now: number, since: number): PresenceView {
    return {
      agentId,
      status,
      changedAt: new Date(since),
      expiresAt: new Date(now + this.heartbeatTtlMs),
    };
  }
}
