import type { BeforeApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import type { TelegramAccount } from '../accounts/account-directory';
import { postJson } from '../outbound/providers/platform-http.util';
import { asObject, asString } from '../shared/json-reader.util';

/**
 * Answers Telegram callback queries (answerCallbackQuery), so the customer's button stops
 * spinning. It runs after the update is on Kafka and is never awaited by the webhook: a slow or
 * failing Bot API must not delay the acknowledgement (Telegram would redeliver), and a failure
 * only leaves the spinner until Telegram's own timeout, so it is logged and not retried.
 */
export class TelegramCallbackAnswerer implements BeforeApplicationShutdown {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly baseUrl: string,
    private readonly logger: Logger,
  ) {}

  answerInBackground(bot: TelegramAccount, callbackQueryId: string): void {
    const task: Promise<void> = this.answer(bot, callbackQueryId).finally(() => {
      this.pending.delete(task);
    });
    this.pending.add(task);
  }

  /** In-flight answers finish before the process exits. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  private async answer(bot: TelegramAccount, callbackQueryId: string): Promise<void> {
    try {
      // The token is part of the URL, so only the bot id and Telegram's answer are ever logged.
      const reply = await postJson(`${this.baseUrl}/bot${bot.botToken}/answerCallbackQuery`, {
        callback_query_id: callbackQueryId,
      });
      if ('kind' in reply) {
        this.warn(bot, callbackQueryId, reply.errorCode, reply.errorMessage);
        return;
      }
      const body = asObject(reply.body);
      if (reply.status < 200 || reply.status >= 300 || body?.ok !== true) {
        this.warn(
          bot,
          callbackQueryId,
          asString(body?.error_code) ?? `http_${reply.status}`,
          asString(body?.description) ?? `HTTP ${reply.status}`,
        );
      }
    } catch (error) {
      this.warn(bot, callbackQueryId, 'unexpected', error instanceof Error ? error.message : '');
    }
  }

  private warn(
    bot: TelegramAccount,
    callbackQueryId: string,
    errorCode: string,
    errorMessage: string,
  ): void {
    this.logger.warn(
      { botId: bot.botId, callbackQueryId, errorCode, errorMessage },
      'answerCallbackQuery failed; the button spins until Telegram times it out',
    );
  }
}
