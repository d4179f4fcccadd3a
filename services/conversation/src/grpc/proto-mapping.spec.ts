import { conversationV1 } from '@switchboard/contracts';
import type { ConversationSnapshot } from '@switchboard/events';
import type { LoggedEvent } from '../persistence/event-log.repository';
import type { StoredMessage } from '../persistence/message.repository';
import { asTenantId } from '../shared/tenant-id';
import type { FeedItem } from '../watch/event-feed.hub';
import { toProtoContactMerge, toProtoEvent, toProtoMessage } from './proto-mapping';

const tenant = asTenantId('acme');
const snapshot: ConversationSnapshot = {
  channel: 'whatsapp',
  threadKey: 't-1',
  status: 'open',
  priority: 'normal',
  tags: [],
  contactId: 'ct_1',
  assigneeId: 'agent-7',
};
const at = new Date('2026-11-26T01:00:00.000Z');

function activity(overrides: Partial<Extract<FeedItem, { kind: 'activity' }>>): FeedItem {
  return {
    kind: 'activity',
    conversationId: 'cv_1',
    actor: { kind: 'agent', id: 'agent-7' },
    isAssignee: false,
    activity: 'typing',
    occurredAt: at,
    snapshot,
    ...overrides,
  };
}

function logged(type: LoggedEvent['type'], data: Record<string, string>): FeedItem {
  return {
    kind: 'event',
    event: {
      tenantId: tenant,
      conversationId: 'cv_1',
      cursor: 12,
      seq: 5,
      type,
      occurredAt: at,
      actor:
        type === 'message_status_changed'
          ? { kind: 'system', id: 'whatsapp-gateway' }
          : {
              kind: 'customer',
              id: 'ct_1',
            },
      triggersRouting: false,
      data,
      snapshot,
    },
  };
}

const message: StoredMessage = {
  id: 'msg_1',
  tenantId: tenant,
  conversationId: 'cv_1',
  dedupeKey: 'k',
  channel: 'whatsapp',
  direction: 'outbound',
  authorId: 'agent-7',
  text: 'Hello',
  attachments: [],
  deliveryStatus: 'failed',
  deliveryError: { code: '131026', message: 'undeliverable' },
  createdAt: at,
  conversationSeq: 3,
  reaction: { emoji: '👍', at, contactId: 'ct_1' },
};

describe('proto mapping', () => {
  it('names who is active: an agent with assignee flag and last read message, or the customer', () => {
    const agent = toProtoEvent(
      activity({ isAssignee: true, lastReadMessageId: 'msg_in', activity: 'viewing' }),
      tenant,
    );
    expect(agent.activity).toEqual({
      agentId: 'agent-7',
      kind: conversationV1.ActivityKind.VIEWING,
      actorKind: conversationV1.ActorKind.AGENT,
      actorId: 'agent-7',
      isAssignee: true,
      lastReadMessageId: 'msg_in',
    });
    const customer = toProtoEvent(
      activity({ actor: { kind: 'customer', id: 'visitor-1' }, isAssignee: true }),
      tenant,
    );
    expect(customer.activity).toEqual({
      agentId: '',
      kind: conversationV1.ActivityKind.TYPING,
      actorKind: conversationV1.ActorKind.CUSTOMER,
      actorId: 'visitor-1',
      // Only agents are assignees, whatever the signal claimed.
      isAssignee: false,
      lastReadMessageId: '',
    });
  });

  it('sends message changes as updates with what changed, never as additions', () => {
    const tick = toProtoEvent(
      logged('message_status_changed', {
        messageId: 'msg_1',
        status: 'failed',
        previousStatus: 'sent',
        errorCode: '131026',
        errorMessage: 'undeliverable',
      }),
      tenant,
      message,
    );
    expect(tick.messageAdded).toBeUndefined();
    expect(tick.messageUpdated).toMatchObject({
      change: conversationV1.MessageChange.DELIVERY_STATUS,
      previousDeliveryStatus: 'sent',
      deliveryStatus: 'failed',
      deliveryErrorCode: '131026',
      deliveryErrorMessage: 'undeliverable',
      changedAt: at,
      message: { id: 'msg_1', deliveryStatus: 'failed' },
    });

    const changedAt = '2026-11-26T00:59:00.000Z';
    const edit = toProtoEvent(
      logged('message_edited', { messageId: 'msg_1', changeId: 'c1', changedAt, text: 'Hi!' }),
      tenant,
      message,
    );
    expect(edit.messageUpdated).toMatchObject({
      change: conversationV1.MessageChange.EDITED,
      text: 'Hi!',
      changedAt: new Date(changedAt),
    });
    const removed = toProtoEvent(
      logged('message_reacted', { messageId: 'msg_1', changeId: 'c2', changedAt, emoji: '' }),
      tenant,
      message,
    );
    expect(removed.messageUpdated?.change).toBe(conversationV1.MessageChange.REACTION);
    expect(removed.messageUpdated?.reaction).toEqual({
      emoji: '',
      actorKind: conversationV1.ActorKind.CUSTOMER,
      actorId: 'ct_1',
      reactedAt: new Date(changedAt),
    });
    const deleted = toProtoEvent(
      logged('message_deleted', { messageId: 'msg_1', changeId: 'c3', changedAt }),
      tenant,
      { ...message, deletedAt: new Date(changedAt), text: '' },
    );
    expect(deleted.messageUpdated?.change).toBe(conversationV1.MessageChange.DELETED);
    expect(deleted.messageUpdated?.message?.deletedAt).toEqual(new Date(changedAt));

    const added = toProtoEvent(logged('message_added', { messageId: 'msg_1' }), tenant, message);
    expect(added.messageUpdated).toBeUndefined();
    expect(added.messageAdded?.id).toBe('msg_1');
  });

  it("shows a message's reactions, edit and deletion times", () => {
    expect(toProtoMessage(message).reactions).toEqual([
      {
        emoji: '👍',
        actorKind: conversationV1.ActorKind.CUSTOMER,
        actorId: 'ct_1',
        reactedAt: at,
      },
    ]);
    // A removed reaction, or one on a deleted message, is no reaction.
    expect(toProtoMessage({ ...message, reaction: { emoji: '', at } }).reactions).toEqual([]);
    expect(toProtoMessage({ ...message, deletedAt: at }).reactions).toEqual([]);
    expect(toProtoMessage({ ...message, editedAt: at }).editedAt).toEqual(at);
  });

  it('maps a merge record with the API names: the merged contact is the source', () => {
    expect(
      toProtoContactMerge({
        id: 'merge_1',
        tenantId: tenant,
        survivorId: 'ct_target',
        mergedId: 'ct_source',
        reason: 'same person',
        actorId: 'sup-1',
        movedIdentities: [
          { kind: 'chat_visitor', value: 'v-1', verified: false, contactId: 'ct_source' },
        ],
        mergedAt: at,
      }),
    ).toEqual({
      id: 'merge_1',
      sourceContactId: 'ct_source',
      targetContactId: 'ct_target',
      reason: 'same person',
      mergedBy: 'sup-1',
      mergedAt: at,
      revertedAt: undefined,
      movedIdentities: [{ kind: 'chat_visitor', value: 'v-1', verified: false }],
    });
  });
});
