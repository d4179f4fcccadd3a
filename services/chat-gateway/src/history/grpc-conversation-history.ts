import {
  type CallOptions,
  type Client,
  type ClientUnaryCall,
  credentials,
  makeGenericClientConstructor,
  Metadata,
  type ServiceError,
} from '@grpc/grpc-js';
import { conversationV1 } from '@switchboard/contracts';
import { signServiceToken } from '../shared/service-token';
import type { ConversationHistory, ConversationMessage } from './conversation-history';

export interface GrpcConversationHistoryOptions {
  /** `host:port` of the conversation service's gRPC API (plaintext). */
  address: string;
  /** HS256 secret the conversation service verifies tokens with (AUTH_JWT_SECRET). */
  jwtSecret: string;
  /** Deadline of one call. */
  timeoutMs: number;
}

type ListMessages = (
  request: conversationV1.ListMessagesRequest,
  metadata: Metadata,
  options: CallOptions,
  callback: (error: ServiceError | null, response?: conversationV1.ListMessagesResponse) => void,
) => ClientUnaryCall;
type ConversationClient = Client & { listMessages: ListMessages };

const ConversationClientConstructor = makeGenericClientConstructor(
  conversationV1.ConversationServiceService,
  'ConversationService',
);

/**
 * ListMessages over grpc-js with the generated codec. Each call carries a short-lived HS256
 * token for the visitor's tenant only (claims sub, tenant, roles), so a leaked token reads one
 * tenant for a minute at most.
 */
export class GrpcConversationHistory implements ConversationHistory {
  private readonly client: ConversationClient;
  private readonly key: Uint8Array;

  constructor(private readonly options: GrpcConversationHistoryOptions) {
    this.client = new ConversationClientConstructor(
      options.address,
      credentials.createInsecure(),
    ) as unknown as ConversationClient;
    this.key = new TextEncoder().encode(options.jwtSecret);
  }

  async listMessages(tenantId: string, conversationId: string): Promise<ConversationMessage[]> {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${await this.token(tenantId)}`);
    const response = await new Promise<conversationV1.ListMessagesResponse>((resolve, reject) => {
      this.client.listMessages(
        { conversationId },
        metadata,
        { deadline: Date.now() + this.options.timeoutMs },
        (error, answer) =>
          error || !answer ? reject(error ?? new Error('empty answer')) : resolve(answer),
      );
    });
    return response.messages.flatMap((message) => {
      const direction = directionOf(message.direction);
      if (!direction) return []; // internal notes (and unknown kinds) never reach a visitor
      return [
        {
          id: message.id,
          direction,
          authorId: message.authorId,
          text: message.text,
          externalId: message.externalId,
          createdAt: (message.createdAt ?? new Date(0)).toISOString(),
        },
      ];
    });
  }

  private token(tenantId: string): Promise<string> {
    return signServiceToken(this.key, tenantId);
  }

  /** Nest calls this on shutdown. */
  onApplicationShutdown(): void {
    this.client.close();
  }
}

function directionOf(
  direction: conversationV1.MessageDirection,
): ConversationMessage['direction'] | undefined {
  if (direction === conversationV1.MessageDirection.INBOUND) return 'inbound';
  if (direction === conversationV1.MessageDirection.OUTBOUND) return 'outbound';
  return undefined;
}
