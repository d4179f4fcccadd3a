import type { Metadata } from '@grpc/grpc-js';
import { Controller, Inject, UseFilters } from '@nestjs/common';
import { routerV1 } from '@switchboard/contracts';
import { GrpcErrorFilter, JwtAuthenticator, toGrpcStatusError } from '@switchboard/grpc-kit';
import { Observable } from 'rxjs';
import type { AgentStatus } from '../assignment/assignment.types';
import type { AgentPresenceUseCases, PresenceView } from './agent-presence.usecases';
import type { OfferNotice, OfferNotifier } from './offer-notifier';

export const JWT_AUTHENTICATOR = Symbol('JWT_AUTHENTICATOR');
export const AGENT_API = Symbol('AGENT_API');

/** Hands the controller the use cases once the router has started (they need its dependencies). */
export interface AgentApi {
  useCases(): AgentPresenceUseCases;
  notifier(): OfferNotifier;
}

const STATUS_FROM_PROTO: Partial<Record<routerV1.PresenceStatus, AgentStatus>> = {
  [routerV1.PresenceStatus.AVAILABLE]: 'available',
  [routerV1.PresenceStatus.BUSY]: 'busy',
  [routerV1.PresenceStatus.AWAY]: 'away',
  [routerV1.PresenceStatus.OFFLINE]: 'offline',
};

const STATUS_TO_PROTO: Record<AgentStatus, routerV1.PresenceStatus> = {
  available: routerV1.PresenceStatus.AVAILABLE,
  busy: routerV1.PresenceStatus.BUSY,
  away: routerV1.PresenceStatus.AWAY,
  offline: routerV1.PresenceStatus.OFFLINE,
};

const toPresence = (view: PresenceView): routerV1.Presence => ({
  agentId: view.agentId,
  status: STATUS_TO_PROTO[view.status],
  changedAt: view.changedAt,
  expiresAt: view.expiresAt,
});

const toOffer = (notice: OfferNotice): routerV1.WatchOffersResponse => ({
  offer: {
    conversationId: notice.conversationId,
    queueId: notice.queueId,
    expiresAt: new Date(notice.expiresAt),
    reason: notice.reason,
  },
});

/** gRPC transport of presence and offers: authenticate, map, call the use case, map back. */
@Controller()
@routerV1.AgentServiceControllerMethods()
@UseFilters(new GrpcErrorFilter())
export class AgentGrpcController implements routerV1.AgentServiceController {
  constructor(
    @Inject(AGENT_API) private readonly api: AgentApi,
    @Inject(JWT_AUTHENTICATOR) private readonly auth: JwtAuthenticator,
  ) {}

  async setPresence(request: routerV1.SetPresenceRequest, metadata?: Metadata) {
    const principal = await this.auth.authenticate(metadata);
    const view = await this.api
      .useCases()
      .setPresence(principal, STATUS_FROM_PROTO[request.status]);
    return { presence: toPresence(view) };
  }

  async heartbeat(_request: routerV1.HeartbeatRequest, metadata?: Metadata) {
    const principal = await this.auth.authenticate(metadata);
    return { presence: toPresence(await this.api.useCases().heartbeat(principal)) };
  }

  async acceptOffer(request: routerV1.AcceptOfferRequest, metadata?: Metadata) {
    const principal = await this.auth.authenticate(metadata);
    await this.api.useCases().acceptOffer(principal, request.conversationId);
    return {};
  }

  async rejectOffer(request: routerV1.RejectOfferRequest, metadata?: Metadata) {
    const principal = await this.auth.authenticate(metadata);
    await this.api.useCases().rejectOffer(principal, request.conversationId, request.reason);
    return {};
  }

  /** Open offers first, then live ones; an offer may arrive twice around the switch (same id). */
  watchOffers(
    _request: routerV1.WatchOffersRequest,
    metadata?: Metadata,
  ): Observable<routerV1.WatchOffersResponse> {
    return new Observable<routerV1.WatchOffersResponse>((subscriber) => {
      let stopListening: (() => void) | undefined;
      let closed = false;
      void (async () => {
        try {
          const principal = await this.auth.authenticate(metadata);
          const useCases = this.api.useCases();
          if (closed) return;
          stopListening = this.api
            .notifier()
            .listen(principal.tenantId, principal.agentId, (notice) =>
              subscriber.next(toOffer(notice)),
            );
          for (const notice of await useCases.openOffers(principal))
            subscriber.next(toOffer(notice));
        } catch (error) {
          subscriber.error(toGrpcStatusError(error));
        }
      })();
      return () => {
        closed = true;
        stopListening?.();
      };
    });
  }
}
