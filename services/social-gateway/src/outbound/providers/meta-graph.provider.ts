import { asObject, asObjects, asString } from '../../shared/json-reader.util';
import {
  type PlatformSendRequest,
  type PlatformSendResult,
  type SocialPlatformProvider,
  unsupportedPart,
} from './platform-provider.interface';
import { isRetryableStatus, postJson, retryAfterMs } from './platform-http.util';

/** Graph API error codes that mean "too many calls", whatever the HTTP status says. */
const RATE_LIMIT_CODES = new Set(['4', '17', '32', '613', '80007', '130429', '131056']);

/**
 * Messenger, Instagram and WhatsApp through the Graph API: POST /<account id>/messages with the
 * account's access token as a bearer token (never in the URL, where it would reach access logs).
 */
export class MetaGraphProvider implements SocialPlatformProvider {
  readonly channels = ['messenger', 'instagram', 'whatsapp'] as const;

  constructor(private readonly baseUrl: string) {}

  async send(request: PlatformSendRequest): Promise<PlatformSendResult> {
    const { account } = request;
    if (
      account.channel !== 'messenger' &&
      account.channel !== 'instagram' &&
      account.channel !== 'whatsapp'
    ) {
      return {
        kind: 'rejected',
        errorCode: 'wrong_provider',
        errorMessage: `not a Meta account: ${account.channel}`,
      };
    }
    const accountId =
      account.channel === 'messenger'
        ? account.pageId
        : account.channel === 'instagram'
          ? account.instagramAccountId
          : account.phoneNumberId;
    const body = account.channel === 'whatsapp' ? whatsAppBody(request) : messagingBody(request);
    if (body === undefined) return unsupportedPart(account.channel, request.part);
    const reply = await postJson(
      `${this.baseUrl}/${encodeURIComponent(accountId)}/messages`,
      body,
      {
        authorization: `Bearer ${account.accessToken}`,
      },
    );
    if ('kind' in reply) return reply;

    const payload = asObject(reply.body);
    if (reply.status >= 200 && reply.status < 300) {
      const id = asString(payload?.message_id) ?? asString(asObjects(payload?.messages)[0]?.id);
      return id === undefined
        ? {
            kind: 'rejected',
            errorCode: 'no_message_id',
            errorMessage: 'the platform returned no message id',
          }
        : { kind: 'sent', externalMessageId: id };
    }
    const error = asObject(payload?.error);
    const errorCode = asString(error?.code) ?? `http_${reply.status}`;
    const errorMessage = asString(error?.message) ?? `HTTP ${reply.status}`;
    if (isRetryableStatus(reply.status) || RATE_LIMIT_CODES.has(errorCode)) {
      const wait = retryAfterMs(reply.headers);
      return {
        kind: 'retryable',
        errorCode,
        errorMessage,
        ...(wait !== undefined && { retryAfterMs: wait }),
      };
    }
    return { kind: 'rejected', errorCode, errorMessage };
  }
}

function messagingBody(request: PlatformSendRequest): unknown {
  const { part } = request;
  if (part.kind === 'template') return undefined;
  return {
    recipient: { id: request.recipientId },
    // A reply within Messenger's standard messaging window.
    messaging_type: 'RESPONSE',
    message:
      part.kind === 'text'
        ? { text: part.text }
        : {
            // Messenger has no captions: composeReply sends the text as its own message first.
            attachment: {
              type: part.media.kind === 'document' ? 'file' : part.media.kind,
              payload:
                'mediaId' in part.media.source
                  ? { attachment_id: part.media.source.mediaId }
                  : { url: part.media.source.url, is_reusable: false },
            },
          },
  };
}

function whatsAppBody(request: PlatformSendRequest): unknown {
  const base = {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: request.recipientId,
    ...(request.replyToExternalId !== undefined && {
      context: { message_id: request.replyToExternalId },
    }),
  };
  const { part } = request;
  switch (part.kind) {
    case 'template': {
      const { name, languageCode, bodyParameters } = part.template;
      return {
        ...base,
        type: 'template',
        template: {
          name,
          language: { code: languageCode },
          ...(bodyParameters.length > 0 && {
            components: [
              { type: 'body', parameters: bodyParameters.map((text) => ({ type: 'text', text })) },
            ],
          }),
        },
      };
    }
    case 'text':
      return { ...base, type: 'text', text: { preview_url: false, body: part.text } };
    case 'media': {
      const { media, caption } = part;
      return {
        ...base,
        type: media.kind,
        [media.kind]: {
          ...('mediaId' in media.source
            ? { id: media.source.mediaId }
            : { link: media.source.url }),
          ...(caption !== undefined && { caption }),
          ...(media.kind === 'document' && media.filename !== '' && { filename: media.filename }),
        },
      };
    }
  }
}
