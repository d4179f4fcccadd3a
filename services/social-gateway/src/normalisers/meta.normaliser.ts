import {
  asArray,
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
import { normaliseWhatsAppChange } from './whatsapp.normaliser';

/**
 * Every Meta webhook (one endpoint per Meta app): `object` says which product sent it.
 * Messenger (`page`) and Instagram (`instagram`) share the Messenger Platform's `messaging`
 * events; WhatsApp sends `changes`.
 */
export function normaliseMetaWebhook(payload: unknown, receivedAt: Date): NormalisedUpdate[] {
  const body = asObject(payload);
  const object = asString(body?.object) ?? '(none)';
  const entries = asObjects(body?.entry);
  switch (object) {
    case 'whatsapp_business_account':
      return perEntry(entries, (entry) =>
        asObjects(entry.changes).flatMap((change) => normaliseWhatsAppChange(change, receivedAt)),
      );
    case 'page':
    case 'instagram': {
      const channel = object === 'page' ? 'messenger' : 'instagram';
      return perEntry(entries, (entry) => normaliseMessagingEntry(channel, entry, receivedAt));
    }
    default:
      return [{ outcome: 'unknown', reason: `meta object ${object}` }];
  }
}

function perEntry(
  entries: JsonObject[],
  normalise: (entry: JsonObject) => NormalisedUpdate[],
): NormalisedUpdate[] {
  if (entries.length === 0) return [{ outcome: 'unknown', reason: 'meta payload without entries' }];
  return entries.flatMap(normalise);
}

function normaliseMessagingEntry(
  channel: 'messenger' | 'instagram',
  entry: JsonObject,
  receivedAt: Date,
): NormalisedUpdate[] {
  const accountId = asString(entry.id);
  if (accountId === undefined)
    return [{ outcome: 'unknown', reason: `${channel} entry without id` }];
  const updates = asObjects(entry.messaging).flatMap((event) =>
    event.delivery !== undefined
      ? normaliseDelivery(channel, accountId, event, receivedAt)
      : [normaliseMessagingEvent(channel, accountId, event, receivedAt)],
  );
  // Handover-protocol standby events and feed `changes` are for other apps or other features.
  if (entry.standby !== undefined)
    updates.push({ outcome: 'ignored', reason: `${channel} standby` });
  if (entry.changes !== undefined)
    updates.push({ outcome: 'ignored', reason: `${channel} changes` });
  return updates.length > 0
    ? updates
    : [{ outcome: 'ignored', reason: `${channel} entry without messaging events` }];
}

/** One delivery event confirms every listed message id of ours. */
function normaliseDelivery(
  channel: 'messenger' | 'instagram',
  accountId: string,
  event: JsonObject,
  receivedAt: Date,
): NormalisedUpdate[] {
  const occurredAt = epochToIso(event.timestamp, 'milliseconds', receivedAt);
  const mids = asArray(asObject(event.delivery)?.mids)
    .map(asString)
    .filter((mid): mid is string => mid !== undefined);
  if (mids.length === 0)
    return [{ outcome: 'ignored', reason: `${channel} delivery without mids` }];
  return mids.map((externalMessageId) => ({
    outcome: 'status',
    channel,
    accountId,
    status: { externalMessageId, status: 'delivered', occurredAt },
  }));
}

function normaliseMessagingEvent(
  channel: 'messenger' | 'instagram',
  accountId: string,
  event: JsonObject,
  receivedAt: Date,
): NormalisedUpdate {
  const senderId = asString(asObject(event.sender)?.id);
  const recipientId = asString(asObject(event.recipient)?.id);
  const message = asObject(event.message);
  if (message?.is_echo === true || (senderId !== undefined && senderId === accountId)) {
    return { outcome: 'echo', reason: `${channel} echo of our own send` };
  }
  if (senderId === undefined)
    return { outcome: 'unknown', reason: `${channel} event without sender` };
  const threadKey = socialThreadKey(accountId, senderId);
  const occurredAt = epochToIso(event.timestamp, 'milliseconds', receivedAt);
  const base = (externalMessageId: string): InboundDraft => ({
    ...draftDefaults(),
    channel,
    externalMessageId,
    threadKey,
    sender: { kind: 'platform_user', value: senderId, verified: true },
    text: '',
    receivedAt: occurredAt,
    metadata: { accountId, ...(recipientId !== undefined && { recipientId }) },
  });
  const messageUpdate = (message: InboundDraft): NormalisedUpdate => ({
    outcome: 'message',
    channel,
    accountId,
    message,
  });

  const read = asObject(event.read);
  if (read !== undefined) {
    // Messenger sends a watermark; Instagram names the last message read (`mid`) instead.
    const lastReadMid = asString(read.mid);
    const watermark = asString(read.watermark) ?? asString(event.timestamp);
    if (watermark === undefined)
      return { outcome: 'ignored', reason: `${channel} read without watermark` };
    return {
      outcome: 'read-watermark',
      channel,
      accountId,
      read: {
        threadKey,
        watermark: epochToIso(watermark, 'milliseconds', receivedAt),
        readAt: occurredAt,
        ...(lastReadMid !== undefined && { lastReadExternalMessageId: lastReadMid }),
      },
    };
  }
  const reaction = asObject(event.reaction);
  if (reaction !== undefined) {
    const targetId = asString(reaction.mid);
    if (targetId === undefined)
      return { outcome: 'unknown', reason: `${channel} reaction without mid` };
    const action = asString(reaction.action) ?? 'react';
    const emoji =
      action === 'unreact' ? '' : (asString(reaction.emoji) ?? asString(reaction.reaction) ?? '');
    return messageUpdate({
      ...base(`${targetId}:reaction:${action}:${asString(event.timestamp) ?? ''}:${senderId}`),
      kind: 'reaction',
      targetExternalMessageId: targetId,
      reactionEmoji: emoji,
    });
  }
  const edit = asObject(event.message_edit);
  if (edit !== undefined) {
    const targetId = asString(edit.mid);
    if (targetId === undefined)
      return { outcome: 'unknown', reason: `${channel} edit without mid` };
    return messageUpdate({
      ...base(`${targetId}:edit:${asString(edit.num_edit) ?? asString(event.timestamp) ?? ''}`),
      kind: 'edit',
      targetExternalMessageId: targetId,
      text: asString(edit.text) ?? '',
    });
  }
  const postback = asObject(event.postback);
  if (postback !== undefined) {
    const title = asString(postback.title);
    const id = asString(postback.mid) ?? `postback:${senderId}:${asString(event.timestamp) ?? ''}`;
    return messageUpdate({
      ...base(id),
      text: title ?? '',
      interactiveReply: {
        kind: 'postback',
        payload: asString(postback.payload) ?? '',
        ...(title !== undefined && { title }),
      },
    });
  }
  if (message !== undefined) {
    const mid = asString(message.mid);
    if (mid === undefined) return { outcome: 'unknown', reason: `${channel} message without mid` };
    if (message.is_deleted === true) {
      return messageUpdate({
        ...base(`${mid}:delete`),
        kind: 'delete',
        targetExternalMessageId: mid,
      });
    }
    return messageUpdate(messagingContent(base(mid), message));
  }
  const known = [
    'optin',
    'referral',
    'account_linking',
    'policy_enforcement',
    'pass_thread_control',
    'take_thread_control',
    'request_thread_control',
    'app_roles',
    'game_play',
    'messaging_feedback',
  ].find((name) => event[name] !== undefined);
  return known !== undefined
    ? { outcome: 'ignored', reason: `${channel} ${known}` }
    : { outcome: 'unknown', reason: `${channel} messaging event ${Object.keys(event).join(',')}` };
}

function messagingContent(draft: InboundDraft, message: JsonObject): InboundDraft {
  draft.text = asString(message.text) ?? '';
  const quickReply = asObject(message.quick_reply);
  if (quickReply !== undefined) {
    draft.interactiveReply = {
      kind: 'quick_reply',
      payload: asString(quickReply.payload) ?? '',
      ...(draft.text !== '' && { title: draft.text }),
    };
  }
  const replyTo = asString(asObject(message.reply_to)?.mid);
  if (replyTo !== undefined) draft.inReplyTo = [replyTo];
  for (const attachment of asObjects(message.attachments)) {
    const type = asString(attachment.type) ?? 'file';
    const payload = asObject(attachment.payload);
    const coordinates = asObject(payload?.coordinates);
    if (type === 'location' && coordinates !== undefined) {
      const latitude = Number(coordinates.lat);
      const longitude = Number(coordinates.long);
      if (Number.isFinite(latitude) && Number.isFinite(longitude)) {
        draft.location = { latitude, longitude };
        continue;
      }
    }
    const url = asString(payload?.url);
    if (url === undefined) continue;
    const stickerId = asString(payload?.sticker_id);
    if (stickerId !== undefined) draft.metadata.stickerId = stickerId;
    draft.attachments.push(
      mediaAttachment({
        contentType: CONTENT_TYPE_BY_ATTACHMENT_TYPE[type] ?? 'application/octet-stream',
        platformMediaUrl: url,
        ...(asString(payload?.attachment_id) !== undefined && {
          platformMediaId: asString(payload?.attachment_id),
        }),
      }),
    );
  }
  return draft;
}

// Messenger gives a kind, not a MIME type; the content type is refined when the media is fetched.
const CONTENT_TYPE_BY_ATTACHMENT_TYPE: Record<string, string | undefined> = {
  image: 'image/*',
  video: 'video/*',
  audio: 'audio/*',
  file: 'application/octet-stream',
};
