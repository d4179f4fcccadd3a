import PostalMime from 'postal-mime';
import {
  decodeEncodedWords,
  declaredCharsets,
  parseAddressHeader,
  rawHeaderToText,
  rawHeaderValue,
} from './header-decoding';
import { type BounceDetails, detectNoise } from './noise-detector';
import { trimReply } from './reply-trimmer';
import { htmlToText, sanitizeMailHtml } from './sanitize-html.util';

/** Limits that keep hostile MIME from costing unbounded CPU or memory. */
export interface MailParseLimits {
  maxNestingDepth: number;
  maxHeaderBytes: number;
  maxAttachments: number;
}

export const DEFAULT_PARSE_LIMITS: MailParseLimits = {
  maxNestingDepth: 50,
  maxHeaderBytes: 256 * 1024,
  maxAttachments: 100,
};

/** A mail that cannot be turned into a message; `reason` is worded for the sender and the DLQ. */
export class MailParseError extends Error {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`unparseable mail: ${reason}`, options);
    this.name = 'MailParseError';
  }
}

export interface ParsedAttachment {
  filename: string;
  contentType: string;
  content: Uint8Array;
  contentId?: string;
  inline: boolean;
}

export interface MailAddress {
  address: string;
  name?: string;
}

export interface ParsedMail {
  messageId?: string;
  from?: MailAddress;
  replyTo?: MailAddress;
  to: MailAddress[];
  cc: MailAddress[];
  subject?: string;
  date?: string;
  /** Message ids this mail answers, In-Reply-To first, then References newest first. */
  inReplyTo: string[];
  /** Full text as sent (from text/plain, or derived from HTML when there is none). */
  text: string;
  /** The new text without quoted history and mobile signatures. */
  replyText: string;
  /** The quoted history and signatures cut from `text`. */
  quotedText: string;
  html?: string;
  attachments: ParsedAttachment[];
  flags: { autoReply: boolean; bounce: boolean; bulk: boolean };
  bounce?: BounceDetails;
  headers: Record<string, string>;
}

const MESSAGE_ID = /<[^<>\s]+>/g;

export function messageIdsIn(value: string | undefined): string[] {
  return value?.match(MESSAGE_ID) ?? [];
}

function mailbox(address: PostalMime.Address | undefined): MailAddress | undefined {
  if (!address) return undefined;
  if (address.group !== undefined) return mailbox(address.group[0]);
  if (!address.address) return undefined;
  return {
    address: address.address.toLowerCase(),
    ...(address.name ? { name: address.name } : {}),
  };
}

function mailboxes(addresses: PostalMime.Address[] | undefined): MailAddress[] {
  return (addresses ?? []).flatMap((address) =>
    address.group !== undefined
      ? address.group.flatMap((member) => mailbox(member) ?? [])
      : (mailbox(address) ?? []),
  );
}

function toBytes(content: ArrayBuffer | Uint8Array | string): Uint8Array {
  if (typeof content === 'string') return Buffer.from(content, 'utf8');
  return content instanceof Uint8Array ? content : new Uint8Array(content);
}

/** The header block of a raw message (up to the first empty line), for signals postal-mime drops. */
function rawHeaderBlock(raw: Buffer, maxBytes: number): string {
  const head = raw.subarray(0, Math.min(raw.length, maxBytes)).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  return end >= 0 ? head.slice(0, end) : head;
}

/** How far into a message we look for the charsets it declares (MIME part headers come early). */
const CHARSET_HINT_SCAN_BYTES = 1024 * 1024;

/**
 * The subject without the control characters some senders encode into it (`=?UTF-8?B?DQo…?=` is
 * a CR LF), which would otherwise end up in "Re:" headers and agent UIs.
 */
function cleanSubject(subject: string): string {
  return subject.replace(/\p{Cc}+/gu, ' ').trim();
}

/**
 * Parses raw RFC 822 bytes with postal-mime into what the gateway needs: addresses, threading ids,
 * text (full, reply-only, quoted), sanitised HTML, attachments and noise flags. Pure: no I/O.
 * Throws MailParseError with a reason for mails that are not mail or exceed the limits.
 */
export async function parseMail(
  raw: Buffer,
  limits: MailParseLimits = DEFAULT_PARSE_LIMITS,
): Promise<ParsedMail> {
  const head = rawHeaderBlock(raw, limits.maxHeaderBytes + 1024);
  if (!/^[\x21-\x39\x3b-\x7e]+:/m.test(head) && !/^From /.test(head)) {
    throw new MailParseError('no RFC 822 header block found');
  }
  let email: PostalMime.Email;
  try {
    email = await PostalMime.parse(raw, {
      maxNestingDepth: limits.maxNestingDepth,
      maxHeadersSize: limits.maxHeaderBytes,
      attachmentEncoding: 'arraybuffer',
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new MailParseError(message, { cause: error });
  }
  if (email.attachments.length > limits.maxAttachments) {
    throw new MailParseError(
      `${email.attachments.length} attachments exceed the limit of ${limits.maxAttachments}`,
    );
  }
  let charsetHints: string[] | undefined;
  const hints = (): string[] =>
    (charsetHints ??= declaredCharsets(
      raw.subarray(0, CHARSET_HINT_SCAN_BYTES).toString('latin1'),
    ));
  // postal-mime's address splitting and header charsets fail on some real-world headers (see
  // header-decoding.ts); ours runs on the raw header and postal-mime's result is the fallback.
  const addressesOf = (name: string, fallback: MailAddress[]): MailAddress[] => {
    const value = rawHeaderValue(head, name);
    const parsed = value === undefined ? [] : parseAddressHeader(value, hints);
    return parsed.length > 0 ? parsed : fallback;
  };
  const rawSubject = rawHeaderValue(head, 'subject');
  // U+FFFD means postal-mime met bytes it could not decode: redo them with the message's charsets.
  const subject =
    email.subject?.includes('\uFFFD') && rawSubject !== undefined
      ? decodeEncodedWords(rawHeaderToText(rawSubject, hints), hints)
      : email.subject;
  const html = email.html ? sanitizeMailHtml(email.html) : undefined;
  const text = (email.text ?? (email.html ? htmlToText(email.html) : '')).replace(/\r\n?/g, '\n');
  const trimmed = trimReply(text);
  const noise = detectNoise(email, head);
  const inReplyTo = [
    ...messageIdsIn(email.inReplyTo),
    ...messageIdsIn(email.references).reverse(),
  ].filter((id, index, all) => all.indexOf(id) === index);

  const headers: Record<string, string> = {};
  for (const header of email.headers) headers[header.key] ??= header.value;

  return {
    messageId: messageIdsIn(email.messageId)[0],
    from: addressesOf('from', mailboxes(email.from ? [email.from] : undefined))[0],
    replyTo: addressesOf('reply-to', mailboxes(email.replyTo))[0],
    to: addressesOf('to', mailboxes(email.to)),
    cc: addressesOf('cc', mailboxes(email.cc)),
    ...(subject !== undefined ? { subject: cleanSubject(subject) } : {}),
    date: email.date,
    inReplyTo,
    text,
    replyText: trimmed.reply,
    quotedText: trimmed.quoted,
    html,
    attachments: email.attachments.map((attachment, index) => ({
      filename: attachment.filename ?? `attachment-${index + 1}`,
      contentType: attachment.mimeType,
      content: toBytes(attachment.content),
      ...(attachment.contentId ? { contentId: attachment.contentId.replace(/^<|>$/g, '') } : {}),
      inline: attachment.disposition === 'inline' || attachment.related === true,
    })),
    flags: { autoReply: noise.autoReply, bounce: noise.bounce, bulk: noise.bulk },
    ...(noise.bounceDetails ? { bounce: noise.bounceDetails } : {}),
    headers,
  };
}
