import {
  asArray,
  asNumber,
  asObject,
  asObjects,
  asString,
  epochToIso,
  type JsonObject,
} from '../shared/json-reader.util';
import {
  draftDefaults,
  type InboundDraft,
  mediaAttachment,
  type NormalisedUpdate,
  socialThreadKey,
} from './normalised-update.type';

/** Update kinds a bot may receive that are not customer messages in a private chat. */
const NON_MESSAGE_UPDATES = [
  'channel_post',
  'edited_channel_post',
  'inline_query',
  'chosen_inline_result',
  'shipping_query',
  'pre_checkout_query',
  'poll',
  'poll_answer',
  'my_chat_member',
  'chat_member',
  'chat_join_request',
  'message_reaction_count',
  'chat_boost',
  'removed_chat_boost',
  'business_connection',
];

/**
 * Telegram Bot API updates (one webhook per bot; `botId` comes from the verified URL).
 * A chat's message ids are unique only within the chat, so external ids are `chat:message`.
 */
export function normaliseTelegramUpdate(
  botId: string,
  payload: unknown,
  receivedAt: Date,
): NormalisedUpdate[] {
  const update = asObject(payload);
  if (update === undefined || asNumber(update.update_id) === undefined) {
    return [{ outcome: 'unknown', reason: 'telegram payload without update_id' }];
  }
  const message = asObject(update.message) ?? asObject(update.business_message);
  if (message !== undefined) return [normaliseMessage(botId, message, 'message', receivedAt)];
  const edited = asObject(update.edited_message) ?? asObject(update.edited_business_message);
  if (edited !== undefined) return [normaliseMessage(botId, edited, 'edit', receivedAt)];
  const callback = asObject(update.callback_query);
  if (callback !== undefined) return [normaliseCallback(botId, callback, receivedAt)];
  const reaction = asObject(update.message_reaction);
  if (reaction !== undefined) return [normaliseReaction(botId, reaction, receivedAt)];
  const deleted = asObject(update.deleted_business_messages);
  if (deleted !== undefined) return normaliseDeletions(botId, deleted, receivedAt);
  const known = NON_MESSAGE_UPDATES.find((name) => update[name] !== undefined);
  if (known !== undefined) return [{ outcome: 'ignored', reason: `telegram ${known}` }];
  const kinds = Object.keys(update).filter((key) => key !== 'update_id');
  return [{ outcome: 'unknown', reason: `telegram update ${kinds.join(',') || '(empty)'}` }];
}

function sender(from: JsonObject | undefined): InboundDraft['sender'] | undefined {
  const id = asString(from?.id);
  if (id === undefined) return undefined;
  const displayName = [asString(from?.first_name), asString(from?.last_name)]
    .filter(Boolean)
    .join(' ');
  return { kind: 'platform_user', value: id, verified: true, ...(displayName && { displayName }) };
}

function draftFor(
  botId: string,
  chatId: string,
  from: JsonObject | undefined,
  externalMessageId: string,
  receivedAt: string,
): InboundDraft | undefined {
  const identity = sender(from);
  if (identity === undefined) return undefined;
  const username = asString(from?.username);
  return {
    ...draftDefaults(),
    channel: 'telegram',
    externalMessageId,
    threadKey: socialThreadKey(botId, chatId),
    sender: identity,
    text: '',
    receivedAt,
    metadata: { accountId: botId, chatId, ...(username !== undefined && { username }) },
  };
}

function normaliseMessage(
  botId: string,
  message: JsonObject,
  kind: 'message' | 'edit',
  receivedAt: Date,
): NormalisedUpdate {
  const chatId = asString(asObject(message.chat)?.id);
  const messageId = asString(message.message_id);
  const from = asObject(message.from);
  if (chatId === undefined || messageId === undefined) {
    return { outcome: 'unknown', reason: 'telegram message without chat or message_id' };
  }
  if (from?.is_bot === true && asString(from.id) === botId) {
    return { outcome: 'echo', reason: 'telegram message from this bot' };
  }
  const id = `${chatId}:${messageId}`;
  const externalId = kind === 'edit' ? `${id}:edit:${asString(message.edit_date) ?? ''}` : id;
  const draft = draftFor(
    botId,
    chatId,
    from,
    externalId,
    epochToIso(kind === 'edit' ? message.edit_date : message.date, 'seconds', receivedAt),
  );
  if (draft === undefined) return { outcome: 'ignored', reason: 'telegram message without sender' };
  if (kind === 'edit') {
    draft.kind = 'edit';
    draft.targetExternalMessageId = id;
  }
  draft.text = asString(message.text) ?? asString(message.caption) ?? '';
  const replyTo = asString(asObject(message.reply_to_message)?.message_id);
  if (replyTo !== undefined) draft.inReplyTo = [`${chatId}:${replyTo}`];
  addContent(draft, message);
  return { outcome: 'message', channel: 'telegram', accountId: botId, message: draft };
}

function addContent(draft: InboundDraft, message: JsonObject): void {
  // Photos come in several sizes; the largest is the last.
  const photo = asObjects(message.photo).at(-1);
  if (photo !== undefined) {
    draft.attachments.push(
      mediaAttachment({
        contentType: 'image/jpeg',
        sizeBytes: asNumber(photo.file_size),
        platformMediaId: asString(photo.file_id),
      }),
    );
  }
  for (const type of [
    'document',
    'video',
    'audio',
    'voice',
    'video_note',
    'sticker',
    'animation',
  ]) {
    const file = asObject(message[type]);
    if (file === undefined) continue;
    draft.metadata.platformMessageType = type;
    draft.attachments.push(
      mediaAttachment({
        contentType: asString(file.mime_type) ?? (type === 'sticker' ? 'image/webp' : undefined),
        filename: asString(file.file_name),
        sizeBytes: asNumber(file.file_size),
        platformMediaId: asString(file.file_id),
      }),
    );
    if (type === 'sticker' && draft.text === '') draft.text = asString(file.emoji) ?? '';
  }
  const venue = asObject(message.venue);
  const location = asObject(venue?.location) ?? asObject(message.location);
  const latitude = asNumber(location?.latitude);
  const longitude = asNumber(location?.longitude);
  if (latitude !== undefined && longitude !== undefined) {
    const name = asString(venue?.title);
    const address = asString(venue?.address);
    draft.location = {
      latitude,
      longitude,
      ...(name !== undefined && { name }),
      ...(address !== undefined && { address }),
    };
  }
  const contact = asObject(message.contact);
  if (contact !== undefined) {
    const phone = asString(contact.phone_number);
    draft.sharedContacts = [
      {
        name: [asString(contact.first_name), asString(contact.last_name)].filter(Boolean).join(' '),
        phones: phone === undefined ? [] : [phone],
        emails: [],
      },
    ];
  }
}

function normaliseCallback(
  botId: string,
  callback: JsonObject,
  receivedAt: Date,
): NormalisedUpdate {
  const id = asString(callback.id);
  const message = asObject(callback.message);
  const chatId = asString(asObject(message?.chat)?.id) ?? asString(asObject(callback.from)?.id);
  if (id === undefined || chatId === undefined) {
    return { outcome: 'unknown', reason: 'telegram callback_query without id or chat' };
  }
  const draft = draftFor(
    botId,
    chatId,
    asObject(callback.from),
    `callback:${id}`,
    receivedAt.toISOString(),
  );
  if (draft === undefined)
    return { outcome: 'ignored', reason: 'telegram callback without sender' };
  draft.interactiveReply = { kind: 'button', payload: asString(callback.data) ?? '' };
  const answered = asString(message?.message_id);
  if (answered !== undefined) draft.inReplyTo = [`${chatId}:${answered}`];
  return { outcome: 'message', channel: 'telegram', accountId: botId, message: draft };
}

function normaliseReaction(
  botId: string,
  reaction: JsonObject,
  receivedAt: Date,
): NormalisedUpdate {
  const chatId = asString(asObject(reaction.chat)?.id);
  const messageId = asString(reaction.message_id);
  const user = asObject(reaction.user);
  if (chatId === undefined || messageId === undefined) {
    return { outcome: 'unknown', reason: 'telegram message_reaction without chat or message_id' };
  }
  const target = `${chatId}:${messageId}`;
  const draft = draftFor(
    botId,
    chatId,
    user,
    `${target}:reaction:${asString(reaction.date) ?? ''}:${asString(user?.id) ?? ''}`,
    epochToIso(reaction.date, 'seconds', receivedAt),
  );
  if (draft === undefined) return { outcome: 'ignored', reason: 'telegram anonymous reaction' };
  const emoji = asArray(reaction.new_reaction)
    .map((item) => asString(asObject(item)?.emoji))
    .find((item) => item !== undefined);
  draft.kind = 'reaction';
  draft.targetExternalMessageId = target;
  draft.reactionEmoji = emoji ?? '';
  return { outcome: 'message', channel: 'telegram', accountId: botId, message: draft };
}

/** The id of the callback query in an update, which the bot must answer (answerCallbackQuery). */
export function telegramCallbackQueryId(payload: unknown): string | undefined {
  return asString(asObject(asObject(payload)?.callback_query)?.id);
}

/**
 * A customer deleted messages in a business chat (the only deletions the Bot API reports). Each
 * becomes a delete event for the message it removes; the chat of a private business chat is the
 * customer, so it also names the sender.
 */
function normaliseDeletions(
  botId: string,
  deleted: JsonObject,
  receivedAt: Date,
): NormalisedUpdate[] {
  const chat = asObject(deleted.chat);
  const chatId = asString(chat?.id);
  const messageIds = asArray(deleted.message_ids)
    .map((id) => asString(id))
    .filter((id): id is string => id !== undefined);
  if (chatId === undefined || messageIds.length === 0) {
    return [
      { outcome: 'unknown', reason: 'telegram deleted_business_messages without chat or ids' },
    ];
  }
  return messageIds.map((messageId): NormalisedUpdate => {
    const target = `${chatId}:${messageId}`;
    const draft = draftFor(botId, chatId, chat, `${target}:delete`, receivedAt.toISOString());
    if (draft === undefined)
      return { outcome: 'ignored', reason: 'telegram deletion without chat id' };
    draft.kind = 'delete';
    draft.targetExternalMessageId = target;
    return { outcome: 'message', channel: 'telegram', accountId: botId, message: draft };
  });
}
