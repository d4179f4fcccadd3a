import { InvalidArgumentError, type Principal } from '@switchboard/grpc-kit';
import type { Conversation } from '../conversations/conversation.model';
import type { ContactRepository } from '../persistence/contact.repository';
import type {
  ConversationFilter,
  ConversationRepository,
} from '../persistence/conversation.repository';
import { asTenantId } from '../shared/tenant-id';
import { AssignCommand, SendMessageCommand, SetTagsCommand, SnoozeCommand } from './agent-commands';
import { canSee } from './conversation-access';
import {
  decodePageToken,
  encodePageToken,
  ListConversationsUseCase,
} from './read-conversations.usecases';
import { sanitiseReplyHtml } from './send-message.usecase';

const agent: Principal = {
  agentId: 'a1',
  tenantId: 'acme',
  roles: ['agent'],
  queueIds: ['billing'],
};
const supervisor: Principal = {
  agentId: 's1',
  tenantId: 'acme',
  roles: ['supervisor'],
  queueIds: [],
};

function conversation(id: string, overrides: Partial<Conversation> = {}): Conversation {
  const at = new Date('2026-11-25T10:00:00.000Z');
  return {
    id,
    tenantId: asTenantId('acme'),
    channel: 'email',
    threadKey: id,
    status: 'open',
    priority: 'normal',
    tags: [],
    contactId: 'ct',
    recipient: { kind: 'email', value: 'x@example.com', verified: true },
    lastInboundExternalIds: [],
    sla: { breached: [] },
    inboundCount: 1,
    agentReplyCount: 0,
    reopenCount: 0,
    createdAt: at,
    updatedAt: at,
    seq: 2,
    pending: [],
    ...overrides,
  };
}

describe('agent commands', () => {
  const field = (build: () => unknown) => {
    try {
      build();
    } catch (error) {
      return error instanceof InvalidArgumentError
        ? error.field
        : `not invalid-argument: ${String(error)}`;
    }
    return 'accepted';
  };

  it('name the field that is wrong', () => {
    const now = new Date();
    expect(field(() => new SendMessageCommand(agent, '', 'r', 'hi', undefined))).toBe(
      'conversation_id',
    );
    expect(field(() => new SendMessageCommand(agent, 'cv', '', 'hi', undefined))).toBe(
      'client_request_id',
    );
    expect(field(() => new SendMessageCommand(agent, 'cv', 'r', '  ', undefined))).toBe('text');
    expect(field(() => new SetTagsCommand(agent, 'cv', ['ok', 'bad\ntag']))).toBe('tags');
    expect(field(() => new AssignCommand(agent, 'cv', undefined, undefined, 'why'))).toBe(
      'assignee_id',
    );
    expect(field(() => new AssignCommand(agent, 'cv', 'a2', undefined, ' '))).toBe('reason');
    expect(field(() => new SnoozeCommand(agent, 'cv', new Date(now.getTime() - 1), now))).toBe(
      'until',
    );
    expect(field(() => new SnoozeCommand(agent, 'cv', new Date(now.getTime() + 60_000), now))).toBe(
      'accepted',
    );
  });

  it('dedupes tags', () => {
    expect(new SetTagsCommand(agent, 'cv', ['vip', 'vip', 'billing']).tags).toEqual([
      'vip',
      'billing',
    ]);
  });
});

describe('conversation access', () => {
  it('lets agents see their assignments and queues, supervisors their whole tenant, nobody another tenant', () => {
    expect(canSee(agent, conversation('1', { assigneeId: 'a1' }))).toBe(true);
    expect(canSee(agent, conversation('2', { queueId: 'billing' }))).toBe(true);
    expect(canSee(agent, conversation('3', { queueId: 'sales', assigneeId: 'a2' }))).toBe(false);
    expect(canSee(supervisor, conversation('4', { queueId: 'sales' }))).toBe(true);
    expect(canSee({ ...supervisor, tenantId: 'other' }, conversation('5'))).toBe(false);
  });
});

describe('reply HTML', () => {
  it('keeps formatting and drops scripts, handlers and styles', () => {
    expect(
      sanitiseReplyHtml('<p style="x" onclick="y()">Hi <b>there</b><script>z()</script></p>'),
    ).toBe('<p>Hi <b>there</b></p>');
  });
});

describe('ListConversationsUseCase', () => {
  const items = ['c5', 'c4', 'c3', 'c2', 'c1'].map((id, index) =>
    conversation(id, { updatedAt: new Date(Date.UTC(2026, 10, 25, 10, 5 - index)) }),
  );
  const filters: ConversationFilter[] = [];
  const repository = {
    list: async (
      _tenant: string,
      filter: ConversationFilter,
      after: { updatedAt: Date; id: string } | undefined,
      limit: number,
    ) => {
      filters.push(filter);
      const start = after ? items.findIndex((item) => item.id === after.id) + 1 : 0;
      return items.slice(start, start + limit);
    },
  } as unknown as ConversationRepository;
  const contacts = {
    mergedFamily: async (_t: string, id: string) => [id, `${id}-merged`],
  } as unknown as ContactRepository;
  const useCase = new ListConversationsUseCase(repository, contacts);

  it('pages with opaque tokens bound to their filters and restricts agents to what they may see', async () => {
    const first = await useCase.execute(agent, {
      filter: { contactId: 'ct' },
      pageSize: 2,
      pageToken: '',
    });
    expect(first.conversations.map((c) => c.id)).toEqual(['c5', 'c4']);
    const second = await useCase.execute(agent, {
      filter: { contactId: 'ct' },
      pageSize: 2,
      pageToken: first.nextPageToken,
    });
    expect(second.conversations.map((c) => c.id)).toEqual(['c3', 'c2']);
    const last = await useCase.execute(agent, {
      filter: { contactId: 'ct' },
      pageSize: 2,
      pageToken: second.nextPageToken,
    });
    expect(last).toEqual({ conversations: [items[4]], nextPageToken: '' });
    expect(filters[0]).toMatchObject({
      contactIds: ['ct', 'ct-merged'],
      visibleTo: { agentId: 'a1', queueIds: ['billing'] },
    });

    await expect(
      useCase.execute(agent, {
        filter: { tag: 'other' },
        pageSize: 2,
        pageToken: first.nextPageToken,
      }),
    ).rejects.toThrow('page.page_token: was issued for other filters');
    const all = await useCase.execute(supervisor, { filter: {}, pageSize: 0, pageToken: '' });
    expect(filters[filters.length - 1]?.visibleTo).toBeUndefined();
    expect(all.conversations).toHaveLength(5);
  });

  it('rejects tokens it did not issue', () => {
    expect(() => decodePageToken('nonsense', 'f')).toThrow('page.page_token');
    const token = encodePageToken({ updatedAt: new Date(5), id: 'x' }, 'f');
    expect(decodePageToken(token, 'f')).toEqual({ updatedAt: new Date(5), id: 'x' });
  });
});
