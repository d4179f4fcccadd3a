import type { Conversation } from '../conversations/conversation.model';
import { asTenantId } from '../shared/tenant-id';
import { SlaPolicy } from '../sla/sla-policy';
import { decideInbound } from './inbound-decision';
import type { InboundMessage } from '@switchboard/events';

const createdAt = new Date('2026-11-25T10:00:00.000Z');
const now = new Date('2026-11-25T10:05:00.000Z');

function conversation(overrides: Partial<Conversation> = {}): Conversation {
  return {
    id: 'cv_1',
    tenantId: asTenantId('acme'),
    channel: 'chat',
    threadKey: 'session-1',
    status: 'open',
    priority: 'normal',
    tags: [],
    contactId: 'ct_1',
    recipient: { kind: 'chat_visitor', value: 'v-1', verified: false },
    lastInboundExternalIds: [],
    sla: { breached: [] },
    inboundCount: 0,
    agentReplyCount: 0,
    reopenCount: 0,
    createdAt,
    updatedAt: createdAt,
    seq: 1,
    pending: [],
    ...overrides,
  };
}

function message(flags: Partial<InboundMessage['flags']> = {}): InboundMessage {
  return {
    schemaVersion: 1,
    tenantId: 'acme',
    messageId: 'gw-1',
    channel: 'chat',
    externalMessageId: 'ext-1',
    threadKey: 'session-1',
    sender: { kind: 'chat_visitor', value: 'v-1', verified: false },
    text: 'hello',
    attachments: [],
    authenticity: {},
    flags: { autoReply: false, bounce: false, bulk: false, ownMessageEcho: false, ...flags },
    inReplyTo: [],
    receivedAt: now.toISOString(),
    metadata: {},
  };
}

const chatTargets = new SlaPolicy().targetsFor({
  tenantId: 'acme',
  channel: 'chat',
  priority: 'normal',
});

describe('decideInbound', () => {
  it('appends the message, starts the first-response clock (chat: 1 minute) and triggers routing', () => {
    const { patch, events } = decideInbound(
      conversation(),
      message(),
      'msg_1',
      'ct_1',
      chatTargets,
      now,
    );
    expect(events).toEqual([
      expect.objectContaining({ type: 'message_added', triggersRouting: true, messageId: 'msg_1' }),
    ]);
    expect(patch.sla?.firstResponseDueAt).toEqual(new Date('2026-11-25T10:01:00.000Z'));
    expect(patch.awaitingReplySince).toEqual(now);
    expect(patch.inboundCount).toBe(1);
  });

  it('reopens a resolved conversation when the customer writes', () => {
    const { patch, events } = decideInbound(
      conversation({
        status: 'resolved',
        sla: { breached: [], resolvedAt: createdAt, firstResponseAt: createdAt },
      }),
      message(),
      'msg_2',
      'ct_1',
      chatTargets,
      now,
    );
    expect(patch).toMatchObject({ status: 'open', reopenCount: 1 });
    expect(events.map((event) => event.type)).toEqual(['message_added', 'status_changed']);
    expect(events[1]?.data).toMatchObject({
      previousStatus: 'resolved',
      reason: 'customer_replied',
    });
    // Answered before: now the next-response clock runs.
    expect(patch.sla?.nextResponseDueAt).toEqual(
      new Date(now.getTime() + chatTargets.nextResponseMs),
    );
  });

  it.each(['autoReply', 'bounce', 'bulk', 'ownMessageEcho'] as const)(
    'records a %s message without reopening, clocks or routing',
    (flag) => {
      const { patch, events } = decideInbound(
        conversation({ status: 'snoozed', snoozedUntil: now }),
        message({ [flag]: true }),
        'msg_3',
        'ct_1',
        chatTargets,
        now,
      );
      expect(patch.status).toBeUndefined();
      expect(patch.sla).toBeUndefined();
      expect(events).toEqual([
        expect.objectContaining({ type: 'message_added', triggersRouting: false }),
      ]);
    },
  );

  it('does not restart a first-response clock that already breached', () => {
    const { patch } = decideInbound(
      conversation({ sla: { breached: ['first_response'] } }),
      message(),
      'msg_4',
      'ct_1',
      chatTargets,
      now,
    );
    expect(patch.sla?.firstResponseDueAt).toBeUndefined();
    expect(patch.sla?.breached).toEqual(['first_response']);
  });
});
