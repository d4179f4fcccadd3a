import { asNumber, asObject, asString } from '../../shared/json-reader.util';
import type { MediaKind, OutboundMedia } from '../compose-reply.util';
import {
  type PlatformSendRequest,
  type PlatformSendResult,
  type SocialPlatformProvider,
  unsupportedPart,
} from './platform-provider.interface';
import { isRetryableStatus, postJson, retryAfterMs } from './platform-http.util';

/** Telegram Bot API: POST /bot<token>/sendMessage. */
export class TelegramBotProvider implements SocialPlatformProvider {
  readonly channels = ['telegram'] as const;

  constructor(private readonly baseUrl: string) {}

  async send(request: PlatformSendRequest): Promise<PlatformSendResult> {
    const { account } = request;
    if (account.channel !== 'telegram') {
      return {
        kind: 'rejected',
        errorCode: 'wrong_provider',
        errorMessage: `not a Telegram bot: ${account.channel}`,
      };
    }
    const { part } = request;
    if (part.kind === 'template') return unsupportedPart('telegram', part);
    // Our external ids are "chat:message"; Telegram wants the message id within the chat.
    const replyTo = request.replyToExternalId?.split(':')[1];
    const common = {
      chat_id: request.recipientId,
      ...(replyTo !== undefined && {
        reply_parameters: { message_id: Number(replyTo), allow_sending_without_reply: true },
      }),
    };
    const [method, body] =
      part.kind === 'text'
        ? ['sendMessage', { ...common, text: part.text }]
        : mediaCall(common, part.media, part.caption);
    const reply = await postJson(`${this.baseUrl}/bot${account.botToken}/${method}`, body);
    if ('kind' in reply) return reply;
    const payload = asObject(reply.body);
    const messageId = asString(asObject(payload?.result)?.message_id);
    if (payload?.ok === true && messageId !== undefined) {
      return { kind: 'sent', externalMessageId: `${request.recipientId}:${messageId}` };
    }
    const errorCode = asString(payload?.error_code) ?? `http_${reply.status}`;
    const errorMessage = asString(payload?.description) ?? `HTTP ${reply.status}`;
    if (isRetryableStatus(reply.status)) {
      const retryAfterSeconds = asNumber(asObject(payload?.parameters)?.retry_after);
      const wait =
        retryAfterSeconds !== undefined ? retryAfterSeconds * 1000 : retryAfterMs(reply.headers);
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

/** The Bot API method and its file field per media kind; a file_id or an http(s) URL both work. */
const MEDIA_METHODS: Record<MediaKind, [method: string, field: string]> = {
  image: ['sendPhoto', 'photo'],
  video: ['sendVideo', 'video'],
  audio: ['sendAudio', 'audio'],
  document: ['sendDocument', 'document'],
};

function mediaCall(
  common: Record<string, unknown>,
  media: OutboundMedia,
  caption: string | undefined,
): [string, Record<string, unknown>] {
  const [method, field] = MEDIA_METHODS[media.kind];
  const file = 'mediaId' in media.source ? media.source.mediaId : media.source.url;
  return [method, { ...common, [field]: file, ...(caption !== undefined && { caption }) }];
}
