import {
  asObject,
  asObjects,
  asString,
  epochToIso,
  type JsonObject,
} from '../shared/json-reader.util';
import {
  draftDefaults,
  mediaAttachment,
  type NormalisedUpdate,
  socialThreadKey,
} from './normalised-update.type';

/** Account Activity events that are not direct messages to us. */
const NON_MESSAGE_EVENTS = [
  'tweet_create_events',
  'favorite_events',
  'follow_events',
  'unfollow_events',
  'block_events',
  'unblock_events',
  'mute_events',
  'unmute_events',
  'user_event',
  'tweet_delete_events',
  'direct_message_indicate_typing_events',
];

/** X ids are snowflakes: milliseconds since this epoch, shifted left by 22 bits. */
const SNOWFLAKE_EPOCH_MS = 1288834974657n;

/**
 * X Account Activity API events. `for_user_id` is our subscribed account; a direct message whose
 * sender is that account is the echo of our own send.
 */
export function normaliseXEvent(payload: unknown, receivedAt: Date): NormalisedUpdate[] {
  const body = asObject(payload);
  const accountId = asString(body?.for_user_id);
  if (body === undefined || accountId === undefined) {
    return [{ outcome: 'unknown', reason: 'x event without for_user_id' }];
  }
  const users = asObject(body.users) ?? {};
  const updates: NormalisedUpdate[] = [
    ...asObjects(body.direct_message_events).map((event) =>
      normaliseDirectMessage(accountId, event, users, receivedAt),
    ),
    ...asObjects(body.direct_message_mark_read_events).map((event) =>
      normaliseMarkRead(accountId, event, receivedAt),
    ),
  ];
  for (const name of NON_MESSAGE_EVENTS) {
    if (body[name] !== undefined) updates.push({ outcome: 'ignored', reason: `x ${name}` });
  }
  if (updates.length === 0) {
    const kinds = Object.keys(body).filter((key) => key !== 'for_user_id' && key !== 'users');
    return [{ outcome: 'unknown', reason: `x event ${kinds.join(',') || '(empty)'}` }];
  }
  return updates;
}

function normaliseDirectMessage(
  accountId: string,
  event: JsonObject,
  users: JsonObject,
  receivedAt: Date,
): NormalisedUpdate {
  const type = asString(event.type);
  const id = asString(event.id);
  const create = asObject(event.message_create);
  const senderId = asString(create?.sender_id);
  if (type !== 'message_create' || id === undefined || senderId === undefined) {
    return { outcome: 'unknown', reason: `x direct message event ${type ?? '(no type)'}` };
  }
  if (senderId === accountId)
    return { outcome: 'echo', reason: 'x direct message from our account' };
  const data = asObject(create?.message_data);
  const user = asObject(users[senderId]);
  const displayName = asString(user?.name);
  const screenName = asString(user?.screen_name);
  const draft = {
    ...draftDefaults(),
    channel: 'x' as const,
    externalMessageId: id,
    threadKey: socialThreadKey(accountId, senderId),
    sender: {
      kind: 'platform_user' as const,
      value: senderId,
      verified: true,
      ...(displayName !== undefined && { displayName }),
    },
    text: asString(data?.text) ?? '',
    receivedAt: epochToIso(event.created_timestamp, 'milliseconds', receivedAt),
  };
  draft.metadata = { accountId, ...(screenName !== undefined && { screenName }) };
  const quickReply = asObject(data?.quick_reply_response);
  const metadata = asString(quickReply?.metadata);
  if (metadata !== undefined) {
    Object.assign(draft, {
      interactiveReply: { kind: 'quick_reply', payload: metadata, title: draft.text },
    });
  }
  const media = asObject(asObject(data?.attachment)?.media);
  if (media !== undefined) {
    const mediaType = asString(media.type);
    draft.attachments.push(
      mediaAttachment({
        contentType:
          mediaType === 'photo' ? 'image/*' : mediaType === 'video' ? 'video/*' : undefined,
        platformMediaId: asString(media.id_str) ?? asString(media.id),
        platformMediaUrl: asString(media.media_url_https),
      }),
    );
  }
  return { outcome: 'message', channel: 'x', accountId, message: draft };
}

/**
 * The customer read the conversation up to `last_read_event_id`. Reads by our own account (an
 * agent opening the conversation in another X client) say nothing about our messages.
 */
function normaliseMarkRead(
  accountId: string,
  event: JsonObject,
  receivedAt: Date,
): NormalisedUpdate {
  const readerId = asString(event.sender_id);
  const lastReadId = asString(event.last_read_event_id);
  if (readerId === undefined || lastReadId === undefined) {
    return { outcome: 'unknown', reason: 'x mark-read without sender_id or last_read_event_id' };
  }
  if (readerId === accountId) return { outcome: 'ignored', reason: 'x mark-read by our account' };
  const readAt = epochToIso(event.created_timestamp, 'milliseconds', receivedAt);
  return {
    outcome: 'read-watermark',
    channel: 'x',
    accountId,
    read: {
      threadKey: socialThreadKey(accountId, readerId),
      // Used only when the id is not one of our sends (whose own send time is exact).
      watermark: snowflakeTime(lastReadId) ?? readAt,
      readAt,
      lastReadExternalMessageId: lastReadId,
    },
  };
}

/** When X created the event with this id, or undefined for ids that are not snowflakes. */
export function snowflakeTime(id: string): string | undefined {
  if (!/^[0-9]{1,20}$/.test(id)) return undefined;
  const ms = (BigInt(id) >> 22n) + SNOWFLAKE_EPOCH_MS;
  // Ids too small to be snowflakes (old numeric ids) would land before X existed.
  if (ms <= SNOWFLAKE_EPOCH_MS || ms > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  const date = new Date(Number(ms));
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
