import { asNumber, asObject, asString } from '../../shared/json-reader.util';
import {
  type PlatformSendRequest,
  type PlatformSendResult,
  type SocialPlatformProvider,
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
    // Our external ids are "chat:message"; Telegram wants the message id within the chat.
    const replyTo = request.replyToExternalId?.split(':')[1];
    const reply = await postJson(`${this.baseUrl}/bot${account.botToken}/sendMessage`, {
      chat_id: request.recipientId,
      text: request.text,
      ...(replyTo !== undefined && {
        reply_parameters: { message_id: Number(replyTo), allow_sending_without_reply: true },
      }),
    });
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
