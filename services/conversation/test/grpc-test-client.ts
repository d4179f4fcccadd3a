import {
  type ClientReadableStream,
  credentials,
  makeGenericClientConstructor,
  Metadata,
  type ServiceDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { type conversationV1, grpcLoaderOptions, protoFiles } from '@switchboard/contracts';
import { SignJWT } from 'jose';

export const TEST_JWT_SECRET = 'conversation-test-secret-with-at-least-32-bytes';

export interface TokenClaims {
  sub: string;
  tenant: string;
  roles?: string[];
  queues?: string[];
}

export async function signToken(claims: TokenClaims, secret = TEST_JWT_SECRET): Promise<string> {
  return new SignJWT({
    tenant: claims.tenant,
    roles: claims.roles ?? ['agent'],
    queues: claims.queues ?? [],
  })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(secret));
}

type Unary<Req, Res> = (
  request: Req,
  metadata: Metadata,
  callback: (error: ServiceError | null, response?: Res) => void,
) => void;

interface RawClient {
  close(): void;
  watchEvents(
    request: conversationV1.WatchEventsRequest,
    metadata: Metadata,
  ): ClientReadableStream<conversationV1.WatchEventsResponse>;
  [method: string]: unknown;
}

// The proto-loader definition (what NestJS serves with) accepts partial requests, like any
// protobuf client; responses have its shape: unset message fields are null.
const ConversationClient = makeGenericClientConstructor(
  (
    loadSync(protoFiles.conversationV1, grpcLoaderOptions) as unknown as Record<
      string,
      ServiceDefinition
    >
  )['switchboard.conversation.v1.ConversationService'] as ServiceDefinition,
  'ConversationService',
);

/** A real grpc-js client with the generated codec: the way an agent UI talks to the service. */
export class ConversationTestClient {
  private readonly raw: RawClient;

  constructor(address: string) {
    this.raw = new ConversationClient(
      address,
      credentials.createInsecure(),
    ) as unknown as RawClient;
  }

  call<Req, Res>(
    method: keyof conversationV1.ConversationServiceController,
    request: Req,
    token?: string,
  ): Promise<Res> {
    const metadata = new Metadata();
    if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
    const fn = (this.raw[method] as Unary<Req, Res>).bind(this.raw);
    return new Promise((resolve, reject) => {
      fn(request, metadata, (error, response) =>
        error ? reject(error) : resolve(response as Res),
      );
    });
  }

  watch(request: Partial<conversationV1.WatchEventsRequest>, token: string) {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${token}`);
    const stream = this.raw.watchEvents(request as conversationV1.WatchEventsRequest, metadata);
    const events: conversationV1.ConversationEvent[] = [];
    let failure: ServiceError | undefined;
    stream.on('data', (response: conversationV1.WatchEventsResponse) => {
      if (response.event) events.push(response.event);
    });
    stream.on('error', (error: ServiceError) => {
      failure = error;
    });
    return {
      events,
      error: () => failure,
      cancel: () => stream.cancel(),
    };
  }

  close(): void {
    this.raw.close();
  }
}
