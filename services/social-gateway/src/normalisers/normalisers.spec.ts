import { normaliseMetaWebhook } from './meta.normaliser';
import type { NormalisedUpdate } from './normalised-update.type';
import { normaliseTelegramUpdate } from './telegram.normaliser';
import { normaliseXEvent, snowflakeTime } from './x.normaliser';

const now = new Date('2026-01-10T12:00:00.000Z');

function whatsApp(value: Record<string, unknown>, field = 'messages'): unknown {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: 'waba-1',
        changes: [
          {
            field,
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550001', phone_number_id: 'pn-1' },
              contacts: [{ profile: { name: 'Grace' }, wa_id: '4915111' }],
              ...value,
            },
          },
        ],
      },
    ],
  };
}

const waMessage = (message: Record<string, unknown>) =>
  whatsApp({ messages: [{ from: '4915111', id: 'wamid.A', timestamp: '1768046400', ...message }] });

function onlyMessage(updates: NormalisedUpdate[]) {
  expect(updates).toHaveLength(1);
  const [update] = updates;
  if (update?.outcome !== 'message')
    throw new Error(`expected a message, got ${JSON.stringify(update)}`);
  return update;
}

describe('WhatsApp normaliser', () => {
  it('maps a text message with sender, thread, time and reply context', () => {
    const update = onlyMessage(
      normaliseMetaWebhook(
        waMessage({ type: 'text', text: { body: 'Hello' }, context: { id: 'wamid.PREV' } }),
        now,
      ),
    );
    expect(update.accountId).toBe('pn-1');
    expect(update.message).toMatchObject({
      channel: 'whatsapp',
      externalMessageId: 'wamid.A',
      threadKey: 'pn-1:4915111',
      sender: { kind: 'phone', value: '4915111', displayName: 'Grace', verified: true },
      text: 'Hello',
      inReplyTo: ['wamid.PREV'],
      receivedAt: '2026-01-10T12:00:00.000Z',
      authenticity: { webhookSignature: 'pass' },
    });
  });

  it('keeps media as metadata plus the platform media id', () => {
    const { message } = onlyMessage(
      normaliseMetaWebhook(
        waMessage({
          type: 'document',
          document: {
            id: 'media-9',
            mime_type: 'application/pdf',
            filename: 'bill.pdf',
            caption: 'my bill',
          },
        }),
        now,
      ),
    );
    expect(message.text).toBe('my bill');
    expect(message.attachments).toEqual([
      {
        filename: 'bill.pdf',
        contentType: 'application/pdf',
        sizeBytes: 0,
        inline: false,
        platformMediaId: 'media-9',
      },
    ]);
  });

  it('maps locations, contacts, reactions, button and list replies', () => {
    const location = onlyMessage(
      normaliseMetaWebhook(
        waMessage({
          type: 'location',
          location: { latitude: 52.5, longitude: 13.4, name: 'Office' },
        }),
        now,
      ),
    ).message;
    expect(location.location).toEqual({ latitude: 52.5, longitude: 13.4, name: 'Office' });

    const contacts = onlyMessage(
      normaliseMetaWebhook(
        waMessage({
          type: 'contacts',
          contacts: [{ name: { formatted_name: 'Ada L' }, phones: [{ phone: '+1 555' }] }],
        }),
        now,
      ),
    ).message;
    expect(contacts.sharedContacts).toEqual([{ name: 'Ada L', phones: ['+1 555'], emails: [] }]);

    const removed = onlyMessage(
      normaliseMetaWebhook(
        waMessage({ type: 'reaction', reaction: { message_id: 'wamid.OURS' } }),
        now,
      ),
    ).message;
    expect(removed).toMatchObject({
      kind: 'reaction',
      targetExternalMessageId: 'wamid.OURS',
      reactionEmoji: '',
    });

    const button = onlyMessage(
      normaliseMetaWebhook(
        waMessage({
          type: 'interactive',
          interactive: { type: 'button_reply', button_reply: { id: 'yes', title: 'Yes' } },
        }),
        now,
      ),
    ).message;
    expect(button.interactiveReply).toEqual({ kind: 'button', payload: 'yes', title: 'Yes' });

    const quick = onlyMessage(
      normaliseMetaWebhook(
        waMessage({ type: 'button', button: { payload: 'STOP', text: 'Stop' } }),
        now,
      ),
    ).message;
    expect(quick.interactiveReply).toEqual({ kind: 'quick_reply', payload: 'STOP', title: 'Stop' });
  });

  it('maps edits and deletes onto the message they change', () => {
    const edit = onlyMessage(
      normaliseMetaWebhook(
        waMessage({
          type: 'edit',
          id: 'wamid.EDIT',
          edit: {
            original_message_id: 'wamid.ORIG',
            message: { type: 'text', text: { body: 'fixed' } },
          },
        }),
        now,
      ),
    ).message;
    expect(edit).toMatchObject({
      kind: 'edit',
      externalMessageId: 'wamid.EDIT',
      targetExternalMessageId: 'wamid.ORIG',
      text: 'fixed',
    });

    const revoke = onlyMessage(
      normaliseMetaWebhook(
        waMessage({ type: 'revoke', revoke: { original_message_id: 'wamid.ORIG' } }),
        now,
      ),
    ).message;
    expect(revoke).toMatchObject({ kind: 'delete', targetExternalMessageId: 'wamid.ORIG' });
  });

  it('keeps messages of types it does not know, with their type', () => {
    const { message } = onlyMessage(normaliseMetaWebhook(waMessage({ type: 'hologram' }), now));
    expect(message.metadata.platformMessageType).toBe('hologram');
  });

  it('maps statuses, with the error code of a failure', () => {
    const updates = normaliseMetaWebhook(
      whatsApp({
        statuses: [
          {
            id: 'wamid.OUT',
            status: 'delivered',
            timestamp: '1768046400',
            recipient_id: '4915111',
          },
          {
            id: 'wamid.OUT2',
            status: 'failed',
            timestamp: '1768046401',
            recipient_id: '4915111',
            errors: [{ code: 131047, title: 'Re-engagement message' }],
          },
        ],
      }),
      now,
    );
    expect(updates).toEqual([
      {
        outcome: 'status',
        channel: 'whatsapp',
        accountId: 'pn-1',
        status: {
          externalMessageId: 'wamid.OUT',
          status: 'delivered',
          occurredAt: '2026-01-10T12:00:00.000Z',
        },
      },
      {
        outcome: 'status',
        channel: 'whatsapp',
        accountId: 'pn-1',
        status: {
          externalMessageId: 'wamid.OUT2',
          status: 'failed',
          occurredAt: '2026-01-10T12:00:01.000Z',
          errorCode: '131047',
          errorMessage: 'Re-engagement message',
        },
      },
    ]);
  });

  it('skips echoes, ignores account events and flags unknown fields', () => {
    expect(
      normaliseMetaWebhook(whatsApp({ message_echoes: [{ id: 'x' }] }, 'smb_message_echoes'), now),
    ).toEqual([{ outcome: 'echo', reason: 'whatsapp smb_message_echoes' }]);
    expect(normaliseMetaWebhook(whatsApp({ event: 'X' }, 'account_update'), now)[0]?.outcome).toBe(
      'ignored',
    );
    expect(normaliseMetaWebhook(whatsApp({}, 'brand_new_field'), now)[0]?.outcome).toBe('unknown');
    expect(normaliseMetaWebhook({ object: 'permissions', entry: [] }, now)[0]?.outcome).toBe(
      'unknown',
    );
    expect(normaliseMetaWebhook('not an object', now)[0]?.outcome).toBe('unknown');
  });
});

describe('Messenger and Instagram normaliser', () => {
  const messaging = (event: Record<string, unknown>, object = 'page') => ({
    object,
    entry: [
      {
        id: 'page-1',
        time: 1768046400000,
        messaging: [
          {
            sender: { id: 'psid-7' },
            recipient: { id: 'page-1' },
            timestamp: 1768046400000,
            ...event,
          },
        ],
      },
    ],
  });

  it('maps text with quick-reply payload and attachments', () => {
    const { message, channel } = onlyMessage(
      normaliseMetaWebhook(
        messaging({
          message: {
            mid: 'm_1',
            text: 'Red',
            quick_reply: { payload: 'COLOR_RED' },
            attachments: [{ type: 'image', payload: { url: 'https://cdn.example/i.jpg' } }],
          },
        }),
        now,
      ),
    );
    expect(channel).toBe('messenger');
    expect(message).toMatchObject({
      externalMessageId: 'm_1',
      threadKey: 'page-1:psid-7',
      sender: { kind: 'platform_user', value: 'psid-7' },
      text: 'Red',
      interactiveReply: { kind: 'quick_reply', payload: 'COLOR_RED', title: 'Red' },
      attachments: [{ contentType: 'image/*', platformMediaUrl: 'https://cdn.example/i.jpg' }],
    });
  });

  it('maps postbacks, reactions, edits and Instagram deletes; skips echoes', () => {
    expect(
      onlyMessage(
        normaliseMetaWebhook(
          messaging({ postback: { mid: 'm_pb', title: 'Start', payload: 'GET_STARTED' } }),
          now,
        ),
      ).message.interactiveReply,
    ).toEqual({ kind: 'postback', payload: 'GET_STARTED', title: 'Start' });
    expect(
      onlyMessage(
        normaliseMetaWebhook(
          messaging({ reaction: { mid: 'm_ours', action: 'react', emoji: '👍' } }),
          now,
        ),
      ).message,
    ).toMatchObject({ kind: 'reaction', targetExternalMessageId: 'm_ours', reactionEmoji: '👍' });
    expect(
      onlyMessage(
        normaliseMetaWebhook(
          messaging({ message_edit: { mid: 'm_1', text: 'Blue', num_edit: 1 } }),
          now,
        ),
      ).message,
    ).toMatchObject({
      kind: 'edit',
      externalMessageId: 'm_1:edit:1',
      targetExternalMessageId: 'm_1',
      text: 'Blue',
    });
    const deleted = onlyMessage(
      normaliseMetaWebhook(
        messaging({ message: { mid: 'ig_1', is_deleted: true } }, 'instagram'),
        now,
      ),
    );
    expect(deleted.channel).toBe('instagram');
    expect(deleted.message).toMatchObject({ kind: 'delete', targetExternalMessageId: 'ig_1' });
    expect(
      normaliseMetaWebhook(
        messaging({ message: { mid: 'm_2', is_echo: true, text: 'ours' } }),
        now,
      )[0]?.outcome,
    ).toBe('echo');
  });

  it('maps delivery receipts per message id and reads as a watermark', () => {
    const delivered = normaliseMetaWebhook(
      messaging({ delivery: { mids: ['m_a', 'm_b'], watermark: 1768046400000 } }),
      now,
    );
    expect(
      delivered.map((update) => update.outcome === 'status' && update.status.externalMessageId),
    ).toEqual(['m_a', 'm_b']);
    expect(
      normaliseMetaWebhook(
        messaging({ timestamp: 1768046460000, read: { watermark: 1768046400000 } }),
        now,
      ),
    ).toEqual([
      {
        outcome: 'read-watermark',
        channel: 'messenger',
        accountId: 'page-1',
        read: {
          threadKey: 'page-1:psid-7',
          watermark: '2026-01-10T12:00:00.000Z',
          readAt: '2026-01-10T12:01:00.000Z',
        },
      },
    ]);
  });

  it('maps an Instagram read of one message id to a read up to that message', () => {
    expect(
      normaliseMetaWebhook(
        messaging({ timestamp: 1768046460000, read: { mid: 'ig_ours_2' } }, 'instagram'),
        now,
      ),
    ).toEqual([
      {
        outcome: 'read-watermark',
        channel: 'instagram',
        accountId: 'page-1',
        read: {
          threadKey: 'page-1:psid-7',
          watermark: '2026-01-10T12:01:00.000Z',
          readAt: '2026-01-10T12:01:00.000Z',
          lastReadExternalMessageId: 'ig_ours_2',
        },
      },
    ]);
  });
});

describe('Telegram normaliser', () => {
  const from = { id: 555, is_bot: false, first_name: 'Linus', username: 'lt' };

  it('turns deleted business messages into one delete event per message', () => {
    const updates = normaliseTelegramUpdate(
      'bot-1',
      {
        update_id: 7,
        deleted_business_messages: {
          business_connection_id: 'bc-1',
          chat: { id: 555, type: 'private', first_name: 'Linus' },
          message_ids: [10, 11],
        },
      },
      now,
    );
    expect(updates).toHaveLength(2);
    expect(
      updates.map((update) => (update.outcome === 'message' ? update.message : update)),
    ).toMatchObject([
      {
        kind: 'delete',
        externalMessageId: '555:10:delete',
        targetExternalMessageId: '555:10',
        threadKey: 'bot-1:555',
      },
      { kind: 'delete', externalMessageId: '555:11:delete', targetExternalMessageId: '555:11' },
    ]);
    expect(
      normaliseTelegramUpdate(
        'bot-1',
        { update_id: 8, deleted_business_messages: { message_ids: [] } },
        now,
      ),
    ).toEqual([
      { outcome: 'unknown', reason: 'telegram deleted_business_messages without chat or ids' },
    ]);
  });

  it('maps messages, photos, locations and contacts with chat-scoped ids', () => {
    const { message } = onlyMessage(
      normaliseTelegramUpdate(
        'bot-1',
        {
          update_id: 1,
          message: {
            message_id: 10,
            from,
            chat: { id: 555, type: 'private' },
            date: 1768046400,
            caption: 'look',
            photo: [
              { file_id: 'small', file_size: 10 },
              { file_id: 'large', file_size: 900 },
            ],
            location: { latitude: 1.5, longitude: 2.5 },
            reply_to_message: { message_id: 9 },
          },
        },
        now,
      ),
    );
    expect(message).toMatchObject({
      channel: 'telegram',
      externalMessageId: '555:10',
      threadKey: 'bot-1:555',
      sender: { value: '555', displayName: 'Linus' },
      text: 'look',
      inReplyTo: ['555:9'],
      location: { latitude: 1.5, longitude: 2.5 },
      attachments: [{ platformMediaId: 'large', sizeBytes: 900 }],
    });
  });

  it('maps edits, callback buttons and reactions; ignores known non-messages; flags the unknown', () => {
    const edit = onlyMessage(
      normaliseTelegramUpdate(
        'bot-1',
        {
          update_id: 2,
          edited_message: {
            message_id: 10,
            from,
            chat: { id: 555 },
            date: 1,
            edit_date: 1768046400,
            text: 'new',
          },
        },
        now,
      ),
    ).message;
    expect(edit).toMatchObject({
      kind: 'edit',
      externalMessageId: '555:10:edit:1768046400',
      targetExternalMessageId: '555:10',
      text: 'new',
    });
    const callback = onlyMessage(
      normaliseTelegramUpdate(
        'bot-1',
        {
          update_id: 3,
          callback_query: {
            id: 'cb1',
            from,
            data: 'opt_2',
            message: { message_id: 11, chat: { id: 555 } },
          },
        },
        now,
      ),
    ).message;
    expect(callback.interactiveReply).toEqual({ kind: 'button', payload: 'opt_2' });
    const reaction = onlyMessage(
      normaliseTelegramUpdate(
        'bot-1',
        {
          update_id: 4,
          message_reaction: {
            chat: { id: 555 },
            message_id: 11,
            user: from,
            date: 5,
            old_reaction: [],
            new_reaction: [{ type: 'emoji', emoji: '🔥' }],
          },
        },
        now,
      ),
    ).message;
    expect(reaction).toMatchObject({
      kind: 'reaction',
      targetExternalMessageId: '555:11',
      reactionEmoji: '🔥',
    });
    expect(
      normaliseTelegramUpdate('bot-1', { update_id: 5, my_chat_member: {} }, now)[0]?.outcome,
    ).toBe('ignored');
    expect(normaliseTelegramUpdate('bot-1', { update_id: 6, teleport: {} }, now)[0]?.outcome).toBe(
      'unknown',
    );
    expect(normaliseTelegramUpdate('bot-1', [], now)[0]?.outcome).toBe('unknown');
  });
});

describe('X normaliser', () => {
  it('maps direct messages, quick replies and skips our own', () => {
    const event = (senderId: string, extra: Record<string, unknown> = {}) => ({
      for_user_id: 'us-1',
      direct_message_events: [
        {
          type: 'message_create',
          id: `dm-${senderId}`,
          created_timestamp: '1768046400000',
          message_create: {
            target: { recipient_id: 'us-1' },
            sender_id: senderId,
            message_data: { text: 'hi', ...extra },
          },
        },
      ],
      users: { 'cust-1': { id: 'cust-1', name: 'Cust', screen_name: 'cust' } },
    });
    const { message } = onlyMessage(
      normaliseXEvent(
        event('cust-1', { quick_reply_response: { type: 'options', metadata: 'opt-a' } }),
        now,
      ),
    );
    expect(message).toMatchObject({
      channel: 'x',
      externalMessageId: 'dm-cust-1',
      threadKey: 'us-1:cust-1',
      sender: { value: 'cust-1', displayName: 'Cust' },
      text: 'hi',
      interactiveReply: { kind: 'quick_reply', payload: 'opt-a' },
    });
    expect(normaliseXEvent(event('us-1'), now)[0]?.outcome).toBe('echo');
    expect(normaliseXEvent({ for_user_id: 'us-1', favorite_events: [] }, now)[0]?.outcome).toBe(
      'ignored',
    );
    expect(normaliseXEvent({ for_user_id: 'us-1', hologram_events: [] }, now)[0]?.outcome).toBe(
      'unknown',
    );
  });

  const markRead = (readerId: string, lastReadId: string) => ({
    for_user_id: 'us-1',
    direct_message_mark_read_events: [
      {
        created_timestamp: '1768046460000',
        sender_id: readerId,
        target: { recipient_id: 'us-1' },
        last_read_event_id: lastReadId,
      },
    ],
  });

  it("maps the customer's mark-read to a read up to the last event read", () => {
    // 1945000000000000000 >> 22 = 463724136352 ms after X's epoch 1288834974657 (1752559111009).
    expect(normaliseXEvent(markRead('cust-1', '1945000000000000000'), now)).toEqual([
      {
        outcome: 'read-watermark',
        channel: 'x',
        accountId: 'us-1',
        read: {
          threadKey: 'us-1:cust-1',
          watermark: '2025-07-15T05:58:31.009Z',
          readAt: '2026-01-10T12:01:00.000Z',
          lastReadExternalMessageId: '1945000000000000000',
        },
      },
    ]);
  });

  it('falls back to the read time for ids that are not snowflakes; ignores our own reads', () => {
    const [update] = normaliseXEvent(markRead('cust-1', 'dm-7'), now);
    expect(update?.outcome === 'read-watermark' && update.read.watermark).toBe(
      '2026-01-10T12:01:00.000Z',
    );
    expect(snowflakeTime('12345')).toBeUndefined();
    expect(normaliseXEvent(markRead('us-1', '1945000000000000000'), now)).toEqual([
      { outcome: 'ignored', reason: 'x mark-read by our account' },
    ]);
    expect(
      normaliseXEvent(
        { for_user_id: 'us-1', direct_message_mark_read_events: [{ sender_id: 'cust-1' }] },
        now,
      )[0]?.outcome,
    ).toBe('unknown');
  });
});
