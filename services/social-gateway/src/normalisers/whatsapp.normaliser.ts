import type { InboundMessage } from '@switchboard/events';
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
  type StatusDraft,
} from './normalised-update.type';

/** `field` values of WhatsApp Business Account webhooks that never carry customer messages. */
const NON_MESSAGE_FIELDS = new Set([
  'account_alerts',
  'account_review_update',
  'account_update',
  'business_capability_update',
  'business_status_update',
  'calls',
  'flows',
  'history',
  'message_template_components_update',
  'message_template_quality_update',
  'message_template_status_update',
  'partner_solutions',
  'payment_configuration_update',
  'phone_number_name_update',
  'phone_number_quality_update',
  'security',
  'smb_app_state_sync',
  'template_category_update',
  'user_preferences',
]);

const MEDIA_TYPES = new Set(['image', 'video', 'audio', 'document', 'sticker']);

/**
 * WhatsApp Cloud API webhooks (`object: whatsapp_business_account`): customer messages, edits,
 * revokes and reactions become inbound drafts; `statuses` become delivery statuses; echoes of
 * messages the business sent from its own app are skipped.
 */
export function normaliseWhatsAppChange(change: JsonObject, receivedAt: Date): NormalisedUpdate[] {
  const field = asString(change.field) ?? '(none)';
  const value = asObject(change.value);
  if (field === 'smb_message_echoes') {
    return [{ outcome: 'echo', reason: 'whatsapp smb_message_echoes' }];
  }
  if (NON_MESSAGE_FIELDS.has(field)) return [{ outcome: 'ignored', reason: `whatsapp ${field}` }];
  if (field !== 'messages' || value === undefined) {
    return [{ outcome: 'unknown', reason: `whatsapp field ${field}` }];
  }
  const phoneNumberId = asString(asObject(value.metadata)?.phone_number_id);
  if (phoneNumberId === undefined) {
    return [{ outcome: 'unknown', reason: 'whatsapp change without metadata.phone_number_id' }];
  }
  const names = new Map<string, string>();
  for (const contact of asObjects(value.contacts)) {
    const waId = asString(contact.wa_id);
    const name = asString(asObject(contact.profile)?.name);
    if (waId !== undefined && name !== undefined) names.set(waId, name);
  }

  const updates: NormalisedUpdate[] = [];
  for (const message of asObjects(value.messages)) {
    updates.push(normaliseMessage(message, phoneNumberId, names, value, receivedAt));
  }
  for (const status of asObjects(value.statuses)) {
    updates.push(normaliseStatus(status, phoneNumberId, receivedAt));
  }
  for (let index = 0; index < asArray(value.message_echoes).length; index += 1) {
    updates.push({ outcome: 'echo', reason: 'whatsapp message echo' });
  }
  if (updates.length === 0) {
    return [
      { outcome: 'ignored', reason: 'whatsapp messages change without messages or statuses' },
    ];
  }
  return updates;
}

function normaliseMessage(
  message: JsonObject,
  phoneNumberId: string,
  names: Map<string, string>,
  value: JsonObject,
  receivedAt: Date,
): NormalisedUpdate {
  const from = asString(message.from);
  const id = asString(message.id);
  const type = asString(message.type) ?? 'unknown';
  if (from === undefined || id === undefined) {
    return { outcome: 'unknown', reason: `whatsapp ${type} message without from or id` };
  }
  if (type === 'system') return { outcome: 'ignored', reason: 'whatsapp system message' };
  const interactive = asObject(message.interactive);
  if (asString(interactive?.type) === 'call_permission_reply') {
    return { outcome: 'ignored', reason: 'whatsapp call_permission_reply' };
  }

  const context = asObject(message.context);
  const base: InboundDraft = {
    ...draftDefaults(),
    channel: 'whatsapp',
    externalMessageId: id,
    threadKey: socialThreadKey(phoneNumberId, from),
    sender: {
      kind: 'phone',
      value: from,
      verified: true,
      ...(names.has(from) && { displayName: names.get(from) }),
    },
    text: '',
    receivedAt: epochToIso(message.timestamp, 'seconds', receivedAt),
    metadata: { accountId: phoneNumberId, platformMessageType: type },
  };
  const repliedTo = asString(context?.id);
  if (repliedTo !== undefined) base.inReplyTo = [repliedTo];
  if (context?.forwarded === true || context?.frequently_forwarded === true) {
    base.metadata.forwarded = context.frequently_forwarded === true ? 'frequently' : 'true';
  }
  const referral = asObject(message.referral);
  if (referral !== undefined) {
    for (const [key, field] of [
      ['referralSourceType', 'source_type'],
      ['referralSourceId', 'source_id'],
      ['referralSourceUrl', 'source_url'],
      ['referralHeadline', 'headline'],
    ] as const) {
      const text = asString(referral[field]);
      if (text !== undefined) base.metadata[key] = text;
    }
  }

  switch (type) {
    case 'revoke': {
      const original = asString(asObject(message.revoke)?.original_message_id);
      return messageUpdate(base, { kind: 'delete', targetExternalMessageId: original });
    }
    case 'edit': {
      const edit = asObject(message.edit);
      const inner = asObject(edit?.message) ?? {};
      const content = messageContent(asString(inner.type) ?? 'unknown', inner);
      return messageUpdate(base, {
        ...content,
        kind: 'edit',
        targetExternalMessageId: asString(edit?.original_message_id),
      });
    }
    case 'reaction': {
      const reaction = asObject(message.reaction);
      return messageUpdate(base, {
        kind: 'reaction',
        targetExternalMessageId: asString(reaction?.message_id),
        // A reaction without an emoji is WhatsApp's way of saying it was removed.
        reactionEmoji: asString(reaction?.emoji) ?? '',
      });
    }
    default: {
      const content = messageContent(type, message);
      const errors = [...asObjects(message.errors), ...asObjects(value.errors)];
      const firstError = errors[0];
      if (firstError !== undefined) {
        content.metadata = {
          ...content.metadata,
          platformErrorCode: asString(firstError.code) ?? '',
          platformErrorTitle: asString(firstError.title) ?? '',
        };
      }
      return messageUpdate(base, content);
    }
  }
}

type Content = Partial<
  Pick<
    InboundMessage,
    | 'text'
    | 'attachments'
    | 'location'
    | 'sharedContacts'
    | 'interactiveReply'
    | 'kind'
    | 'targetExternalMessageId'
    | 'reactionEmoji'
    | 'metadata'
  >
>;

function messageUpdate(base: InboundDraft, content: Content): NormalisedUpdate {
  const accountId = base.metadata.accountId ?? '';
  const draft: InboundDraft = { ...base };
  for (const [key, value] of Object.entries(content)) {
    if (value !== undefined) Object.assign(draft, { [key]: value });
  }
  draft.metadata = { ...base.metadata, ...content.metadata };
  return { outcome: 'message', channel: 'whatsapp', accountId, message: draft };
}

/** The content of an ordinary (or edited) message of the given WhatsApp type. */
function messageContent(type: string, message: JsonObject): Content {
  if (MEDIA_TYPES.has(type)) {
    const media = asObject(message[type]) ?? {};
    const metadata: Record<string, string> = {};
    if (media.voice === true) metadata.voice = 'true';
    if (media.animated === true) metadata.animatedSticker = 'true';
    const sha256 = asString(media.sha256);
    if (sha256 !== undefined) metadata.mediaSha256 = sha256;
    return {
      text: asString(media.caption) ?? '',
      attachments: [
        mediaAttachment({
          contentType: asString(media.mime_type),
          filename: asString(media.filename),
          platformMediaId: asString(media.id),
          platformMediaUrl: asString(media.url),
        }),
      ],
      metadata,
    };
  }
  switch (type) {
    case 'text':
      return { text: asString(asObject(message.text)?.body) ?? '' };
    case 'location': {
      const location = asObject(message.location) ?? {};
      const latitude = asNumber(location.latitude);
      const longitude = asNumber(location.longitude);
      if (latitude === undefined || longitude === undefined) return { text: '' };
      const name = asString(location.name);
      const address = asString(location.address);
      const url = asString(location.url);
      return {
        text: [name, address].filter(Boolean).join(', '),
        location: {
          latitude,
          longitude,
          ...(name !== undefined && { name }),
          ...(address !== undefined && { address }),
          ...(url !== undefined && { url }),
        },
      };
    }
    case 'contacts':
      return {
        text: '',
        sharedContacts: asObjects(message.contacts).map((contact) => {
          const name = asObject(contact.name);
          return {
            name:
              asString(name?.formatted_name) ??
              [asString(name?.first_name), asString(name?.last_name)].filter(Boolean).join(' '),
            phones: asObjects(contact.phones)
              .map((phone) => asString(phone.phone))
              .filter((phone): phone is string => phone !== undefined),
            emails: asObjects(contact.emails)
              .map((email) => asString(email.email))
              .filter((email): email is string => email !== undefined),
          };
        }),
      };
    case 'button': {
      const button = asObject(message.button);
      const title = asString(button?.text);
      return {
        text: title ?? '',
        interactiveReply: {
          kind: 'quick_reply',
          payload: asString(button?.payload) ?? '',
          ...(title !== undefined && { title }),
        },
      };
    }
    case 'interactive':
      return interactiveContent(asObject(message.interactive));
    case 'order': {
      const order = asObject(message.order);
      const items = asObjects(order?.product_items).map(
        (item) =>
          `${asString(item.quantity) ?? '?'} × ${asString(item.product_retailer_id) ?? '?'}`,
      );
      return {
        text: [asString(order?.text), items.length > 0 ? `Order: ${items.join(', ')}` : '']
          .filter(Boolean)
          .join('\n'),
        metadata: { orderCatalogId: asString(order?.catalog_id) ?? '' },
      };
    }
    default:
      // "unsupported" and types newer than this gateway: the customer did write, so the message
      // is kept (with its type in metadata) rather than dropped.
      return { text: '' };
  }
}

function interactiveContent(interactive: JsonObject | undefined): Content {
  const type = asString(interactive?.type) ?? '(none)';
  const reply = asObject(interactive?.[type]);
  switch (type) {
    case 'button_reply':
    case 'list_reply': {
      const title = asString(reply?.title);
      return {
        text: title ?? '',
        interactiveReply: {
          kind: type === 'button_reply' ? 'button' : 'list',
          payload: asString(reply?.id) ?? '',
          ...(title !== undefined && { title }),
        },
      };
    }
    case 'nfm_reply':
      return {
        text: asString(reply?.body) ?? '',
        interactiveReply: {
          kind: 'flow',
          payload: asString(reply?.response_json) ?? '',
          ...(asString(reply?.name) !== undefined && { title: asString(reply?.name) }),
        },
      };
    default:
      return { text: '' };
  }
}

const STATUS_MAP: Record<string, StatusDraft['status'] | undefined> = {
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  // A voice message was listened to: the strongest form of "read".
  played: 'read',
  failed: 'failed',
};

function normaliseStatus(
  status: JsonObject,
  phoneNumberId: string,
  receivedAt: Date,
): NormalisedUpdate {
  const id = asString(status.id);
  const state = asString(status.status);
  if (asString(status.type) === 'call')
    return { outcome: 'ignored', reason: 'whatsapp call status' };
  const mapped = state === undefined ? undefined : STATUS_MAP[state];
  if (id === undefined || mapped === undefined) {
    return { outcome: 'unknown', reason: `whatsapp status ${state ?? '(none)'}` };
  }
  const error = asObjects(status.errors)[0];
  const errorCode = asString(error?.code);
  const errorMessage = asString(error?.message) ?? asString(error?.title);
  return {
    outcome: 'status',
    channel: 'whatsapp',
    accountId: phoneNumberId,
    status: {
      externalMessageId: id,
      status: mapped,
      occurredAt: epochToIso(status.timestamp, 'seconds', receivedAt),
      ...(errorCode !== undefined && { errorCode }),
      ...(errorMessage !== undefined && { errorMessage }),
    },
  };
}
