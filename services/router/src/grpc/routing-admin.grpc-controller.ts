import type { Metadata } from '@grpc/grpc-js';
import { Controller, Inject, UseFilters } from '@nestjs/common';
import { routerAdminV1 } from '@switchboard/contracts';
import { GrpcErrorFilter, type JwtAuthenticator } from '@switchboard/grpc-kit';
import { JWT_AUTHENTICATOR } from '../agents/agent.grpc-controller';
import { ROUTING_ADMIN, type RoutingAdmin } from '../admin/routing-admin.wiring';
import type { WaitState } from '../admin/wait-estimate.usecase';
import type { LoggedDecision } from '../decision-log/decision-log.repository';

const WAIT_STATE_TO_PROTO: Record<WaitState, routerAdminV1.WaitState> = {
  waiting: routerAdminV1.WaitState.WAITING,
  offered: routerAdminV1.WaitState.OFFERED,
  assigned: routerAdminV1.WaitState.ASSIGNED,
  not_queued: routerAdminV1.WaitState.NOT_QUEUED,
};

const toDecision = (decision: LoggedDecision): routerAdminV1.RoutingDecision => ({
  decisionId: decision.decisionId,
  conversationId: decision.conversationId,
  queueId: decision.queueId,
  type: decision.type,
  agentId: decision.agentId ?? '',
  decidedAt: decision.decidedAt,
  offerExpiresAt: decision.offerExpiresAt,
  reason: decision.reason,
  rules: decision.rules,
  strategy: decision.strategy ?? '',
  candidates: decision.candidates,
});

/** gRPC transport of routing administration: authenticate, map, call the use case, map back. */
@Controller()
@routerAdminV1.RoutingAdminServiceControllerMethods()
@UseFilters(new GrpcErrorFilter())
export class RoutingAdminGrpcController implements routerAdminV1.RoutingAdminServiceController {
  constructor(
    @Inject(ROUTING_ADMIN) private readonly admin: RoutingAdmin,
    @Inject(JWT_AUTHENTICATOR) private readonly auth: JwtAuthenticator,
  ) {}

  async getRoutingConfig(
    _request: routerAdminV1.GetRoutingConfigRequest,
    metadata?: Metadata,
  ): Promise<routerAdminV1.GetRoutingConfigResponse> {
    const principal = await this.auth.authenticate(metadata);
    await this.admin.ready();
    const view = await this.admin.config.get(principal);
    return { document: view.document, version: String(view.version), updatedAt: view.updatedAt };
  }

  async putRoutingConfig(
    request: routerAdminV1.PutRoutingConfigRequest,
    metadata?: Metadata,
  ): Promise<routerAdminV1.PutRoutingConfigResponse> {
    const principal = await this.auth.authenticate(metadata);
    await this.admin.ready();
    const { version } = await this.admin.config.put(
      principal,
      request.document ?? '',
      request.expectedVersion ?? '0',
    );
    return { version: String(version) };
  }

  async explainDecision(
    request: routerAdminV1.ExplainDecisionRequest,
    metadata?: Metadata,
  ): Promise<routerAdminV1.ExplainDecisionResponse> {
    const principal = await this.auth.authenticate(metadata);
    const decisions = await this.admin.explain.execute(principal, {
      decisionId: request.decisionId ?? '',
      conversationId: request.conversationId ?? '',
      limit: request.limit ?? 0,
    });
    return { decisions: decisions.map(toDecision) };
  }

  async getQueueStats(
    request: routerAdminV1.GetQueueStatsRequest,
    metadata?: Metadata,
  ): Promise<routerAdminV1.GetQueueStatsResponse> {
    const principal = await this.auth.authenticate(metadata);
    const queues = await this.admin.queueStats.execute(principal, request.queueIds ?? []);
    return {
      queues: queues.map((queue) => ({
        queueId: queue.queueId,
        waiting: String(queue.waiting),
        longestWaitSeconds: queue.longestWaitSeconds,
        agentsAvailable: String(queue.agentsAvailable),
        agentsOnline: String(queue.agentsOnline),
        offersOpen: String(queue.offersOpen),
        openNow: queue.openNow,
        recentMedianWaitSeconds: queue.recentMedianWaitSeconds,
      })),
    };
  }

  async getWaitEstimate(
    request: routerAdminV1.GetWaitEstimateRequest,
    metadata?: Metadata,
  ): Promise<routerAdminV1.GetWaitEstimateResponse> {
    const principal = await this.auth.authenticate(metadata);
    const estimate = await this.admin.waitEstimate.execute(principal, request.conversationId ?? '');
    return {
      state: WAIT_STATE_TO_PROTO[estimate.state],
      queueId: estimate.queueId,
      position: String(estimate.position),
      expectedWaitSeconds: estimate.expectedWaitSeconds,
      agentsAvailable: String(estimate.agentsAvailable),
      agentsOnline: estimate.agentsOnline,
      openNow: estimate.openNow,
    };
  }
}
