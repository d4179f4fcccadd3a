import {
  type CallOptions,
  type Client,
  type ClientUnaryCall,
  credentials,
  makeGenericClientConstructor,
  Metadata,
  type ServiceDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import { signServiceToken } from './service-token';

export interface SystemGrpcClientOptions {
  /** `host:port` of the service's gRPC API (plaintext). */
  address: string;
  /** HS256 secret the service verifies tokens with (AUTH_JWT_SECRET). */
  jwtSecret: string;
  /** Deadline of one call. */
  timeoutMs: number;
}

type UnaryMethod<Request, Response> = (
  request: Request,
  metadata: Metadata,
  options: CallOptions,
  callback: (error: ServiceError | null, response?: Response) => void,
) => ClientUnaryCall;

/**
 * One other service's gRPC API over grpc-js with its generated codec, called as the gateway
 * (`system` role) of one tenant per call: each call carries its own short-lived token for the
 * visitor's tenant only.
 */
export class SystemGrpcClient<Definition extends ServiceDefinition> {
  private readonly client: Client;
  private readonly key: Uint8Array;

  constructor(
    definition: Definition,
    serviceName: string,
    private readonly options: SystemGrpcClientOptions,
  ) {
    const Constructor = makeGenericClientConstructor(definition, serviceName);
    this.client = new Constructor(options.address, credentials.createInsecure());
    this.key = new TextEncoder().encode(options.jwtSecret);
  }

  /** Rejects with the call's ServiceError (its `code` is the gRPC status) or on an empty answer. */
  async unary<Request, Response>(
    method: keyof Definition & string,
    tenantId: string,
    request: Request,
  ): Promise<Response> {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${await signServiceToken(this.key, tenantId)}`);
    const call = (this.client as unknown as Record<string, UnaryMethod<Request, Response>>)[method];
    if (!call) throw new Error(`${method} is not a method of this service`);
    return new Promise<Response>((resolve, reject) => {
      call.call(
        this.client,
        request,
        metadata,
        { deadline: Date.now() + this.options.timeoutMs },
        (error, answer) =>
          error || !answer ? reject(error ?? new Error('empty answer')) : resolve(answer),
      );
    });
  }

  close(): void {
    this.client.close();
  }
}
