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
  'direct_message_mark_read_events',
];

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
  const updates: NormalisedUpdate[] = asObjects(body.direct_message_events).map((event) =>
    normaliseDirectMessage(accountId, event, users, receivedAt),
  );
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
