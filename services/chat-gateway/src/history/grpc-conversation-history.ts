import { conversationV1 } from '@switchboard/contracts';
import { SystemGrpcClient, type SystemGrpcClientOptions } from '../shared/system-grpc-client';
import type { ConversationHistory, ConversationMessage } from './conversation-history';

export type GrpcConversationHistoryOptions = SystemGrpcClientOptions;

/**
 * ListMessages over grpc-js with the generated codec. Each call carries a short-lived HS256
 * token for the visitor's tenant only (claims sub, tenant, roles), so a leaked token reads one
 * tenant for a minute at most.
 */
export class GrpcConversationHistory implements ConversationHistory {
  private readonly client: SystemGrpcClient<typeof conversationV1.ConversationServiceService>;

  constructor(options: GrpcConversationHistoryOptions) {
    this.client = new SystemGrpcClient(
      conversationV1.ConversationServiceService,
      'ConversationService',
      options,
    );
  }

  async listMessages(tenantId: string, conversationId: string): Promise<ConversationMessage[]> {
    const response = await this.client.unary<
      conversationV1.ListMessagesRequest,
      conversationV1.ListMessagesResponse
    >('listMessages', tenantId, { conversationId });
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
