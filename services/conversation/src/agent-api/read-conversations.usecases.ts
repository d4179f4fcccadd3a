import { createHash } from 'node:crypto';
import { InvalidArgumentError, type Principal } from '@switchboard/grpc-kit';
import type { Conversation } from '../conversations/conversation.model';
import type { ContactRepository } from '../persistence/contact.repository';
import type {
  ConversationFilter,
  ConversationRepository,
  ListPosition,
} from '../persistence/conversation.repository';
import type { MessageRepository, StoredMessage } from '../persistence/message.repository';
import { requireId } from './agent-commands';
import { loadVisibleConversation, seesWholeTenant, tenantOf } from './conversation-access';

export class GetConversationUseCase {
  constructor(private readonly conversations: ConversationRepository) {}

  async execute(principal: Principal, conversationId: string): Promise<Conversation> {
    return loadVisibleConversation(
      this.conversations,
      principal,
      requireId('conversation_id', conversationId),
    );
  }
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

export interface ListConversationsQuery {
  filter: Omit<ConversationFilter, 'visibleTo' | 'contactIds'> & { contactId?: string };
  pageSize: number;
  pageToken: string;
}

/**
 * Keyset pagination in (updatedAt desc, id desc) order. The token holds the last item's position
 * and a hash of the filters, so it is valid only with the filters it was issued for. Guarantee:
 * a conversation that does not change while a client pages appears exactly once, whatever is
 * inserted meanwhile (new items sort before the cursor); one that changes moves to the front and
 * is picked up by listing again with `updated_since` = the time the walk started.
 */
export class ListConversationsUseCase {
  constructor(
    private readonly conversations: ConversationRepository,
    private readonly contacts: ContactRepository,
  ) {}

  async execute(
    principal: Principal,
    query: ListConversationsQuery,
  ): Promise<{ conversations: Conversation[]; nextPageToken: string }> {
    if (query.pageSize < 0)
      throw new InvalidArgumentError('page.page_size', 'must not be negative');
    const limit = Math.min(query.pageSize || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
    const filterHash = hashFilter(principal, query.filter);
    const after = query.pageToken ? decodePageToken(query.pageToken, filterHash) : undefined;
    const tenant = tenantOf(principal);
    const { contactId, ...rest } = query.filter;
    const filter: ConversationFilter = {
      ...rest,
      contactIds: contactId ? await this.contacts.mergedFamily(tenant, contactId) : undefined,
      visibleTo: seesWholeTenant(principal)
        ? undefined
        : { agentId: principal.agentId, queueIds: principal.queueIds },
    };
    const page = await this.conversations.list(tenant, filter, after, limit + 1);
    const items = page.slice(0, limit);
    const last = items[items.length - 1];
    const nextPageToken =
      page.length > limit && last
        ? encodePageToken({ updatedAt: last.updatedAt, id: last.id }, filterHash)
        : '';
    return { conversations: items, nextPageToken };
  }
}

function hashFilter(principal: Principal, filter: ListConversationsQuery['filter']): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        principal.tenantId,
        principal.agentId,
        filter.statuses ?? [],
        filter.queueId ?? '',
        filter.assigneeId ?? '',
        filter.channel ?? '',
        filter.tag ?? '',
        filter.contactId ?? '',
        filter.updatedSince?.toISOString() ?? '',
      ]),
    )
    .digest('base64url')
    .slice(0, 16);
}

export function encodePageToken(position: ListPosition, filterHash: string): string {
  return Buffer.from(
    JSON.stringify({ u: position.updatedAt.getTime(), i: position.id, f: filterHash }),
  ).toString('base64url');
}

export function decodePageToken(token: string, filterHash: string): ListPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidArgumentError('page.page_token', 'is not a token this server issued');
  }
  const { u, i, f } = (parsed ?? {}) as { u?: unknown; i?: unknown; f?: unknown };
  if (typeof u !== 'number' || typeof i !== 'string' || typeof f !== 'string') {
    throw new InvalidArgumentError('page.page_token', 'is not a token this server issued');
  }
  if (f !== filterHash) {
    throw new InvalidArgumentError('page.page_token', 'was issued for other filters');
  }
  return { updatedAt: new Date(u), id: i };
}

/** Every conversation of a contact (and of contacts merged into it), across channels. */
export class GetContactHistoryUseCase {
  constructor(
    private readonly conversations: ConversationRepository,
    private readonly contacts: ContactRepository,
  ) {}

  async execute(principal: Principal, contactId: string): Promise<Conversation[]> {
    const tenant = tenantOf(principal);
    requireId('contact_id', contactId);
    const family = await this.contacts.mergedFamily(tenant, contactId);
    return this.conversations.list(
      tenant,
      {
        contactIds: family,
        visibleTo: seesWholeTenant(principal)
          ? undefined
          : { agentId: principal.agentId, queueIds: principal.queueIds },
      },
      undefined,
      MAX_PAGE_SIZE,
    );
  }
}

export class ListMessagesUseCase {
  constructor(
    private readonly conversations: ConversationRepository,
    private readonly messages: MessageRepository,
  ) {}

  async execute(principal: Principal, conversationId: string): Promise<StoredMessage[]> {
    const conversation = await loadVisibleConversation(
      this.conversations,
      principal,
      requireId('conversation_id', conversationId),
    );
    return this.messages.listByConversation(tenantOf(principal), conversation.id);
  }
}
