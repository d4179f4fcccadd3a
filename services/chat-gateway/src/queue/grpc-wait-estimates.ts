import { type ServiceError, status as GrpcStatus } from '@grpc/grpc-js';
import { routerAdminV1 } from '@switchboard/contracts';
import { SystemGrpcClient, type SystemGrpcClientOptions } from '../shared/system-grpc-client';
import type { WaitEstimate, WaitEstimates } from './wait-estimates';

export type GrpcWaitEstimatesOptions = SystemGrpcClientOptions;

const STATES: Partial<Record<routerAdminV1.WaitState, WaitEstimate['state']>> = {
  [routerAdminV1.WaitState.WAITING]: 'waiting',
  [routerAdminV1.WaitState.OFFERED]: 'offered',
  [routerAdminV1.WaitState.ASSIGNED]: 'assigned',
  [routerAdminV1.WaitState.NOT_QUEUED]: 'not_queued',
};

/** RoutingAdminService.GetWaitEstimate over grpc-js, as the `system` role of the visitor's tenant. */
export class GrpcWaitEstimates implements WaitEstimates {
  private readonly client: SystemGrpcClient<typeof routerAdminV1.RoutingAdminServiceService>;

  constructor(options: GrpcWaitEstimatesOptions) {
    this.client = new SystemGrpcClient(
      routerAdminV1.RoutingAdminServiceService,
      'RoutingAdminService',
      options,
    );
  }

  async estimate(tenantId: string, conversationId: string): Promise<WaitEstimate | undefined> {
    const response = await this.client
      .unary<routerAdminV1.GetWaitEstimateRequest, routerAdminV1.GetWaitEstimateResponse>(
        'getWaitEstimate',
        tenantId,
        { conversationId },
      )
      .catch((error: unknown) => {
        // The router does not know the conversation (yet): no estimate, and no outage either.
        if ((error as Partial<ServiceError>).code === GrpcStatus.NOT_FOUND) return undefined;
        throw error;
      });
    if (response === undefined) return undefined;
    const state = STATES[response.state];
    if (!state) throw new Error(`unknown wait state ${response.state}`);
    const position = Number(response.position);
    return {
      state,
      position: state === 'waiting' && Number.isSafeInteger(position) ? position : 0,
      expectedWaitSeconds:
        Number.isFinite(response.expectedWaitSeconds) && response.expectedWaitSeconds > 0
          ? Math.round(response.expectedWaitSeconds)
          : 0,
      agentsOnline: response.agentsOnline,
    };
  }

  /** Nest calls this on shutdown. */
  onApplicationShutdown(): void {
    this.client.close();
  }
}
