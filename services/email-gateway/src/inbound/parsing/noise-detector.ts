import type PostalMime from 'postal-mime';

/** Why a mail must never start routing or an auto-response, read from its headers and MIME. */
export interface NoiseVerdict {
  autoReply: boolean;
  bounce: boolean;
  bulk: boolean;
  /** For bounces: what the DSN says about the failed delivery. */
  bounceDetails?: BounceDetails;
}

export interface BounceDetails {
  /** The address that could not be delivered to (Final-Recipient), when the DSN names it. */
  undeliverableAddress?: string;
  /** RFC 3463 status, e.g. "5.1.1". */
  status?: string;
  action?: string;
  /** Message-ID of the mail that bounced, to link the bounce to its conversation. */
  originalMessageId?: string;
}

type HeaderLookup = (name: string) => string[];

function headerLookup(email: PostalMime.Email): HeaderLookup {
  return (name) =>
    email.headers.filter((header) => header.key === name.toLowerCase()).map((h) => h.value);
}

const AUTO_REPLY_SUBJECT =
  /^(?:auto(?:matic)?[ -]?reply|auto[ -]?response|out of (?:the )?office|abwesenheitsnotiz|automatische antwort|réponse automatique|absence|fuera de la oficina|respuesta automática)\b/iu;

export function detectNoise(email: PostalMime.Email, rawHead: string): NoiseVerdict {
  const header = headerLookup(email);
  const first = (name: string): string => (header(name)[0] ?? '').trim().toLowerCase();

  const autoSubmitted = first('auto-submitted');
  const precedence = first('precedence');
  const autoReply =
    (autoSubmitted !== '' && autoSubmitted !== 'no') ||
    header('x-autoreply').length > 0 ||
    header('x-autorespond').length > 0 ||
    header('x-autoresponse').length > 0 ||
    first('x-auto-response-suppress').includes('all') ||
    first('x-auto-response-suppress').includes('oof') ||
    precedence === 'auto_reply' ||
    AUTO_REPLY_SUBJECT.test(email.subject ?? '');

  const bulk =
    header('list-id').length > 0 ||
    header('list-unsubscribe').length > 0 ||
    precedence === 'bulk' ||
    precedence === 'list' ||
    precedence === 'junk';

  const bounceDetails = readDeliveryStatus(email, rawHead, header);
  return { autoReply, bulk, bounce: bounceDetails !== undefined, bounceDetails };
}

const MAILER_DAEMON = /^(?:mailer-daemon|postmaster)@/i;

function readDeliveryStatus(
  email: PostalMime.Email,
  rawHead: string,
  header: HeaderLookup,
): BounceDetails | undefined {
  const contentType = (header('content-type')[0] ?? '').toLowerCase();
  const isReport = contentType.includes('multipart/report');
  const statusPart = email.attachments.find((attachment) =>
    /^message\/(?:global-)?delivery-status$/i.test(attachment.mimeType),
  );
  const from = email.from && 'address' in email.from ? (email.from.address ?? '') : '';
  const looksLikeDaemon =
    MAILER_DAEMON.test(from) &&
    /undeliver|delivery status|failure|returned/i.test(email.subject ?? '');
  if (!statusPart && !(isReport && contentType.includes('delivery-status')) && !looksLikeDaemon) {
    return undefined;
  }
  const details: BounceDetails = {};
  if (statusPart) {
    const fields = attachmentText(statusPart.content);
    details.undeliverableAddress = matchField(
      fields,
      /^Final-Recipient:\s*(?:rfc822;)?\s*<?([^\s>]+)>?/im,
    );
    details.status = matchField(fields, /^Status:\s*([245]\.\d{1,3}\.\d{1,3})/im);
    details.action = matchField(fields, /^Action:\s*(\S+)/im)?.toLowerCase();
  }
  const original = email.attachments.find((attachment) =>
    /^(?:message\/rfc822|text\/rfc822-headers|message\/global|message\/global-headers)$/i.test(
      attachment.mimeType,
    ),
  );
  const originalText = original ? attachmentText(original.content) : rawHead;
  details.originalMessageId = matchField(
    original ? originalText : '',
    /^Message-ID:\s*(<[^>\s]+>)/im,
  );
  return details;
}

function matchField(text: string, pattern: RegExp): string | undefined {
  return pattern.exec(text)?.[1];
}

function attachmentText(content: ArrayBuffer | Uint8Array | string): string {
  if (typeof content === 'string') return content;
  const bytes = content instanceof Uint8Array ? content : new Uint8Array(content);
  // Only the header block matters; a huge original must not cost a huge decode.
  return Buffer.from(
    bytes.buffer,
    bytes.byteOffset,
    Math.min(bytes.byteLength, 64 * 1024),
  ).toString('utf8');
}
