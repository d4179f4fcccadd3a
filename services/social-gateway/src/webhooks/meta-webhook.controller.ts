import {
  Controller,
  ForbiddenException,
  Get,
  Headers,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { AccountDirectory } from '../accounts/account-directory';
import {
  AcceptWebhookUpdatesUseCase,
  type AcceptWebhookUpdatesResult,
} from '../inbound/accept-webhook-updates.usecase';
import { normaliseMetaWebhook } from '../normalisers/meta.normaliser';
import type { Clock } from '../shared/clock';
import { SocialMetrics } from '../shared/social-metrics';
import { SOCIAL_CLOCK } from '../shared/tokens';
import { readRawBody } from './raw-body.util';
import {
  acceptOrRefuseTemporarily,
  countBodyTooLarge,
  parseJsonBody,
  requireValidSignature,
  unknownSigner,
} from './webhook-request.util';
import { verifyMetaSignature, verifySharedSecret } from './webhook-signature.util';

/** Messenger, Instagram and WhatsApp Cloud API webhooks of one Meta app: /webhooks/meta/<app id>. */
@Controller('webhooks/meta')
export class MetaWebhookController {
  constructor(
    private readonly accounts: AccountDirectory,
    private readonly acceptUpdates: AcceptWebhookUpdatesUseCase,
    private readonly metrics: SocialMetrics,
    @Inject(SOCIAL_CLOCK) private readonly clock: Clock,
  ) {}

  /** Meta's subscription handshake: echo hub.challenge when hub.verify_token is ours. */
  @Get(':appId')
  handshake(
    @Param('appId') appId: string,
    @Query('hub.mode') mode: string | undefined,
    @Query('hub.verify_token') verifyToken: string | undefined,
    @Query('hub.challenge') challenge: string | undefined,
    @Res() response: Response,
  ): void {
    const app = this.accounts.metaApp(appId);
    if (app === undefined) throw unknownSigner('meta', this.metrics);
    if (
      mode !== 'subscribe' ||
      typeof challenge !== 'string' ||
      verifySharedSecret(verifyToken, app.verifyToken) !== 'valid'
    ) {
      this.metrics.webhookRejected('meta', 'verify_token_mismatch');
      throw new ForbiddenException('verification failed');
    }
    response.status(200).type('text/plain').setHeader('X-Content-Type-Options', 'nosniff');
    response.send(challenge);
  }

  @Post(':appId')
  @HttpCode(200)
  async receive(
    @Param('appId') appId: string,
    @Headers('x-hub-signature-256') signature: string | undefined,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<AcceptWebhookUpdatesResult> {
    const app = this.accounts.metaApp(appId);
    if (app === undefined) throw unknownSigner('meta', this.metrics);
    const raw = await readRawBody(request).catch((error: unknown) =>
      countBodyTooLarge(error, 'meta', this.metrics),
    );
    requireValidSignature(verifyMetaSignature(raw, signature, app.appSecret), 'meta', this.metrics);
    const payload = parseJsonBody(raw, 'meta', this.metrics);
    const updates = normaliseMetaWebhook(payload, this.clock.now());
    return acceptOrRefuseTemporarily(
      response,
      () => this.acceptUpdates.execute({ platform: 'meta', signerId: app.id, updates }),
      { platform: 'meta', metrics: this.metrics },
    );
  }
}
