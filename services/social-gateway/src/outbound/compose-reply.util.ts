import type { Attachment, OutboundMessage } from '@switchboard/events';
import type { SocialChannel } from '../config/social-accounts.config';

/** The kinds of media message the platforms have in common (Messenger calls a document "file"). */
export type MediaKind = 'image' | 'video' | 'audio' | 'document';

export interface OutboundMedia {
  kind: MediaKind;
  /** A platform media id is preferred: the platform already holds the file. */
  source: { mediaId: string } | { url: string };
  filename: string;
  contentType: string;
}

/** One platform message of a reply, in sending order. */
export type ReplyPart =
  | { kind: 'text'; text: string }
  | { kind: 'template'; template: NonNullable<OutboundMessage['template']> }
  | { kind: 'media'; media: OutboundMedia; caption?: string };

export type ComposedReply =
  | { kind: 'parts'; parts: ReplyPart[] }
  | { kind: 'refused'; errorCode: string; errorMessage: string };

/** Codes of replies the gateway refuses before calling the platform, because it cannot take them. */
export const AttachmentFailureCodes = {
  notSupported: 'attachments_not_supported',
  withTemplate: 'attachments_with_template_not_supported',
  typeNotSupported: 'attachment_type_not_supported',
  tooLarge: 'attachment_too_large',
  notReachable: 'attachment_not_reachable',
} as const;

/** What one platform accepts as media, from its API documentation. */
export interface MediaPolicy {
  /** Content types sent as each kind; `document` with `undefined` takes every other type. */
  kinds: Partial<Record<MediaKind, readonly string[] | undefined>>;
  /** Largest file the platform fetches from a URL, per kind (unchecked when the size is unknown). */
  maxUrlBytes: Record<MediaKind, number>;
  /** Whether the platform's own media ids (WhatsApp media id, attachment_id, file_id) are accepted. */
  acceptsMediaId: boolean;
  /** Kinds that show a caption under the media, and its length limit; otherwise text goes first. */
  captionKinds: readonly MediaKind[];
  captionLimit: number;
}

const MiB = 1024 * 1024;

/**
 * Per platform; undefined means the platform takes no media from us. X's v2 DM API takes media
 * only as ids from its chunked, user-authenticated upload, which this gateway does not do: a reply
 * with attachments is refused as a whole rather than sent without them.
 */
export const MEDIA_POLICIES: Record<SocialChannel, MediaPolicy | undefined> = {
  whatsapp: {
    kinds: {
      image: ['image/jpeg', 'image/png'],
      video: ['video/mp4', 'video/3gpp'],
      audio: ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg'],
      document: undefined,
    },
    maxUrlBytes: { image: 5 * MiB, video: 16 * MiB, audio: 16 * MiB, document: 100 * MiB },
    acceptsMediaId: true,
    captionKinds: ['image', 'video', 'document'],
    captionLimit: 1024,
  },
  messenger: {
    kinds: {
      image: ['image/jpeg', 'image/png', 'image/gif'],
      video: ['video/mp4'],
      audio: ['audio/mpeg', 'audio/mp4', 'audio/ogg', 'audio/wav', 'audio/aac'],
      document: undefined,
    },
    maxUrlBytes: { image: 25 * MiB, video: 25 * MiB, audio: 25 * MiB, document: 25 * MiB },
    acceptsMediaId: true,
    captionKinds: [],
    captionLimit: 0,
  },
  instagram: {
    kinds: {
      image: ['image/jpeg', 'image/png'],
      video: ['video/mp4', 'video/quicktime', 'video/webm', 'video/ogg', 'video/x-msvideo'],
      audio: ['audio/aac', 'audio/mp4', 'audio/x-m4a', 'audio/wav', 'audio/x-wav'],
      // Instagram takes PDF files only; other documents are refused, not converted.
      document: ['application/pdf'],
    },
    maxUrlBytes: { image: 8 * MiB, video: 25 * MiB, audio: 25 * MiB, document: 25 * MiB },
    acceptsMediaId: false,
    captionKinds: [],
    captionLimit: 0,
  },
  telegram: {
    kinds: {
      image: ['image/jpeg', 'image/png'],
      video: ['video/mp4'],
      audio: ['audio/mpeg', 'audio/mp4'],
      document: undefined,
    },
    // Telegram fetches photos up to 5 MB and other files up to 20 MB by URL.
    maxUrlBytes: { image: 5 * MiB, video: 20 * MiB, audio: 20 * MiB, document: 20 * MiB },
    acceptsMediaId: true,
    captionKinds: ['image', 'video', 'audio', 'document'],
    captionLimit: 1024,
  },
  x: undefined,
};

/**
 * Splits an agent reply into the platform messages it becomes: the text (as the first media's
 * caption where the platform shows one and it fits, else as its own message first), then one
 * message per attachment. Every attachment is checked before anything is sent, so a reply the
 * platform cannot take is refused whole with a clear code; no attachment is ever dropped.
 */
export function composeReply(
  channel: SocialChannel,
  message: Pick<OutboundMessage, 'text' | 'attachments' | 'template'>,
): ComposedReply {
  const { text, attachments, template } = message;
  if (attachments.length === 0) {
    return {
      kind: 'parts',
      parts: [template !== undefined ? { kind: 'template', template } : { kind: 'text', text }],
    };
  }
  const policy = MEDIA_POLICIES[channel];
  if (policy === undefined) {
    return refused(
      AttachmentFailureCodes.notSupported,
      `${channel} replies cannot carry attachments from this gateway; send the text alone or share a link`,
    );
  }
  if (template !== undefined) {
    // Media is free-form content: outside WhatsApp's window only the template itself may go.
    return refused(
      AttachmentFailureCodes.withTemplate,
      'a template reply cannot carry attachments; send them after the customer answers',
    );
  }
  const media: OutboundMedia[] = [];
  for (const attachment of attachments) {
    const checked = checkAttachment(channel, policy, attachment);
    if ('errorCode' in checked) return { kind: 'refused', ...checked };
    media.push(checked);
  }
  const [first, ...rest] = media;
  if (first === undefined) return { kind: 'parts', parts: [] };
  const captioned =
    text !== '' && policy.captionKinds.includes(first.kind) && text.length <= policy.captionLimit;
  return {
    kind: 'parts',
    parts: [
      ...(text !== '' && !captioned ? [{ kind: 'text' as const, text }] : []),
      { kind: 'media', media: first, ...(captioned && { caption: text }) },
      ...rest.map((item) => ({ kind: 'media' as const, media: item })),
    ],
  };
}

function checkAttachment(
  channel: SocialChannel,
  policy: MediaPolicy,
  attachment: Attachment,
): OutboundMedia | { errorCode: string; errorMessage: string } {
  const name = attachment.filename || '(unnamed attachment)';
  const contentType = attachment.contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  const kind = mediaKindFor(policy, contentType);
  if (kind === undefined) {
    return {
      errorCode: AttachmentFailureCodes.typeNotSupported,
      errorMessage: `${channel} does not accept ${contentType || 'untyped'} files (${name})`,
    };
  }
  const base = { kind, filename: attachment.filename, contentType };
  if (policy.acceptsMediaId && attachment.platformMediaId !== undefined) {
    return { ...base, source: { mediaId: attachment.platformMediaId } };
  }
  const url = attachment.platformMediaUrl;
  if (url === undefined || !/^https?:\/\//i.test(url)) {
    return {
      errorCode: AttachmentFailureCodes.notReachable,
      errorMessage: `${name} has no http(s) URL${policy.acceptsMediaId ? ' or platform media id' : ''} ${channel} can fetch (the gateway does not read storage keys)`,
    };
  }
  if (attachment.sizeBytes > policy.maxUrlBytes[kind]) {
    return {
      errorCode: AttachmentFailureCodes.tooLarge,
      errorMessage: `${name} is ${attachment.sizeBytes} bytes; ${channel} takes ${kind} files up to ${policy.maxUrlBytes[kind]} bytes`,
    };
  }
  return { ...base, source: { url } };
}

function mediaKindFor(policy: MediaPolicy, contentType: string): MediaKind | undefined {
  for (const kind of ['image', 'video', 'audio'] as const) {
    if (policy.kinds[kind]?.includes(contentType)) return kind;
  }
  if (!('document' in policy.kinds)) return undefined;
  const documents = policy.kinds.document;
  return documents === undefined || documents.includes(contentType) ? 'document' : undefined;
}

function refused(errorCode: string, errorMessage: string): ComposedReply {
  return { kind: 'refused', errorCode, errorMessage };
}
