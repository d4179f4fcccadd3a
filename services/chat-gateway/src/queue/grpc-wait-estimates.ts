import {
  type CallOptions,
  type Client,
  type ClientUnaryCall,
  credentials,
  makeGenericClientConstructor,
  Metadata,
  type ServiceError,
  status as GrpcStatus,
} from '@grpc/grpc-js';
import { routerAdminV1 } from '@switchboard/contracts';
import { signServiceToken } from '../shared/service-token';
import type { WaitEstimate, WaitEstimates } from './wait-estimates';

export interface GrpcWaitEstimatesOptions {
  /** `host:port` of the router's gRPC API (plaintext). */
  address: string;
  /** HS256 secret the router verifies tokens with (AUTH_JWT_SECRET). */
  jwtSecret: string;
  /** Deadline of one call. */
  timeoutMs: number;
}

type GetWaitEstimate = (
  request: routerAdminV1.GetWaitEstimateRequest,
  metadata: Metadata,
  options: CallOptions,
  callback: (error: ServiceError | null, response?: routerAdminV1.GetWaitEstimateResponse) => void,
) => ClientUnaryCall;
type RoutingAdminClient = Client & { getWaitEstimate: GetWaitEstimate };

const RoutingAdminClientConstructor = makeGenericClientConstructor(
  routerAdminV1.RoutingAdminServiceService,
  'RoutingAdminService',
);

const STATES: Partial<Record<routerAdminV1.WaitState, WaitEstimate['state']>> = {
  [routerAdminV1.WaitState.WAITING]: 'waiting',
  [routerAdminV1.WaitState.OFFERED]: 'offered',
  [routerAdminV1.WaitState.ASSIGNED]: 'assigned',
  [routerAdminV1.WaitState.NOT_QUEUED]: 'not_queued',
};

/** RoutingAdminService.GetWaitEstimate over grpc-js, as the `system` role of the visitor's tenant. */
export class GrpcWaitEstimates implements WaitEstimates {
  private readonly client: RoutingAdminClient;
  private readonly key: Uint8Array;

  constructor(private readonly options: GrpcWaitEstimatesOptions) {
    this.client = new RoutingAdminClientConstructor(
      options.address,
      credentials.createInsecure(),
    ) as unknown as RoutingAdminClient;
    this.key = new TextEncoder().encode(options.jwtSecret);
  }

  async estimate(tenantId: string, conversationId: string): Promise<WaitEstimate | undefined> {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${await signServiceToken(this.key, tenantId)}`);
    const response = await new Promise<routerAdminV1.GetWaitEstimateResponse>((resolve, reject) => {
      this.client.getWaitEstimate(
        { conversationId },
        metadata,
        { deadline: Date.now() + this.options.timeoutMs },
        (error, answer) =>
          error || !answer ? reject(error ?? new Error('empty answer')) : resolve(answer),
      );
    }).catch((error: unknown) => {
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
