import { Server as GrpcServer, ServerCredentials, status as GrpcStatus } from '@grpc/grpc-js';
import { routerAdminV1 } from '@switchboard/contracts';
import {
  type ConversationEvent,
  encodeEnvelope,
  type ConversationSnapshot,
} from '@switchboard/events';
import { JwtAuthenticator } from '@switchboard/grpc-kit';
import type { MessageProducer } from '@switchboard/kafka';
import { decodeJwt } from 'jose';

export interface WaitEstimateCall {
  tenant: string;
  subject: string;
  roles: unknown;
  conversationId: string;
}

export interface RouterStandIn {
  address: string;
  /** Estimates by conversation id, for `tenantId` only; others answer NOT_FOUND. */
  estimates: Map<string, routerAdminV1.GetWaitEstimateResponse>;
  calls: WaitEstimateCall[];
  stop(): Promise<void>;
}

/**
 * The router's RoutingAdminService.GetWaitEstimate on a free loopback port, from the generated
 * definition: it checks the bearer token as the router does (HS256, sub, tenant) and answers
 * only its own tenant's conversations.
 */
export async function startRouterStandIn(
  tenantId: string,
  jwtSecret: string,
): Promise<RouterStandIn> {
  const authenticator = new JwtAuthenticator({ secret: jwtSecret });
  const estimates = new Map<string, routerAdminV1.GetWaitEstimateResponse>();
  const calls: WaitEstimateCall[] = [];
  const implementation: Pick<routerAdminV1.RoutingAdminServiceServer, 'getWaitEstimate'> = {
    getWaitEstimate: (call, callback) => {
      authenticator.authenticate(call.metadata).then(
        (principal) => {
          const token = String(call.metadata.get('authorization')[0]).slice('Bearer '.length);
          calls.push({
            tenant: principal.tenantId,
            subject: principal.agentId,
            roles: decodeJwt(token)['roles'],
            conversationId: call.request.conversationId,
          });
          const estimate =
            principal.tenantId === tenantId
              ? estimates.get(call.request.conversationId)
              : undefined;
          if (estimate) callback(null, estimate);
          else callback({ code: GrpcStatus.NOT_FOUND, details: 'conversation not found' });
        },
        (error: Error) => callback({ code: GrpcStatus.UNAUTHENTICATED, details: error.message }),
      );
    },
  };
  const server = new GrpcServer();
  server.addService(routerAdminV1.RoutingAdminServiceService, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    estimates,
    calls,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

export function waitEstimate(
  fields: Partial<routerAdminV1.GetWaitEstimateResponse>,
): routerAdminV1.GetWaitEstimateResponse {
  return {
    state: routerAdminV1.WaitState.WAITING,
    queueId: 'chat',
    position: '0',
    expectedWaitSeconds: 0,
    agentsAvailable: '0',
    agentsOnline: true,
    openNow: true,
    ...fields,
  };
}

/** What the conversation service publishes when a chat thread becomes a conversation. */
export async function produceConversationCreated(
  producer: MessageProducer,
  topic: string,
  tenantId: string,
  threadKey: string,
  conversationId: string,
): Promise<void> {
  const conversation: ConversationSnapshot = {
    channel: 'chat',
    threadKey,
    status: 'open',
    priority: 'normal',
    tags: [],
    contactId: 'ct_visitor',
  };
  const event: ConversationEvent = {
    schemaVersion: 1,
    tenantId,
    eventId: `${conversationId}:1`,
    conversationId,
    sequence: 1,
    tenantCursor: 1,
    type: 'created',
    occurredAt: new Date().toISOString(),
    actor: { kind: 'customer', id: 'ct_visitor' },
    triggersRouting: true,
    conversation,
    data: {},
  };
  await producer.send(topic, [{ key: conversationId, value: encodeEnvelope(event) }]);
}
