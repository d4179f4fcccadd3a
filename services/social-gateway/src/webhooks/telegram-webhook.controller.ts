import { Controller, Headers, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AccountDirectory } from '../accounts/account-directory';
import {
  AcceptWebhookUpdatesUseCase,
  type AcceptWebhookUpdatesResult,
} from '../inbound/accept-webhook-updates.usecase';
import {
  normaliseTelegramUpdate,
  telegramCallbackQueryId,
} from '../normalisers/telegram.normaliser';
import type { Clock } from '../shared/clock';
import { SocialMetrics } from '../shared/social-metrics';
import { SOCIAL_CLOCK } from '../shared/tokens';
import { readRawBody } from './raw-body.util';
import { TelegramCallbackAnswerer } from './telegram-callback.answerer';
import {
  acceptOrRefuseTemporarily,
  countBodyTooLarge,
  parseJsonBody,
  requireValidSignature,
  unknownSigner,
} from './webhook-request.util';
import { verifySharedSecret } from './webhook-signature.util';

/** One bot's updates: /webhooks/telegram/<bot id>, set with setWebhook(url, secret_token). */
@Controller('webhooks/telegram')
export class TelegramWebhookController {
  constructor(
    private readonly accounts: AccountDirectory,
    private readonly acceptUpdates: AcceptWebhookUpdatesUseCase,
    private readonly metrics: SocialMetrics,
    @Inject(SOCIAL_CLOCK) private readonly clock: Clock,
    private readonly callbackAnswerer: TelegramCallbackAnswerer,
  ) {}

  @Post(':botId')
  @HttpCode(200)
  async receive(
    @Param('botId') botId: string,
    @Headers('x-telegram-bot-api-secret-token') secretToken: string | undefined,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<AcceptWebhookUpdatesResult> {
    const bot = this.accounts.telegramBot(botId);
    if (bot === undefined) throw unknownSigner('telegram', this.metrics);
    const raw = await readRawBody(request).catch((error: unknown) =>
      countBodyTooLarge(error, 'telegram', this.metrics),
    );
    requireValidSignature(
      verifySharedSecret(secretToken, bot.webhookSecret),
      'telegram',
      this.metrics,
    );
    const payload = parseJsonBody(raw, 'telegram', this.metrics);
    const updates = normaliseTelegramUpdate(bot.botId, payload, this.clock.now());
    const result = await acceptOrRefuseTemporarily(
      response,
      () => this.acceptUpdates.execute({ platform: 'telegram', signerId: bot.botId, updates }),
      { platform: 'telegram', metrics: this.metrics },
    );
    // Only now that the update is on Kafka (a redelivery is answered again: harmless).
    const callbackQueryId = telegramCallbackQueryId(payload);
    if (callbackQueryId !== undefined) {
      this.callbackAnswerer.answerInBackground(bot, callbackQueryId);
    }
    return result;
  }
}
