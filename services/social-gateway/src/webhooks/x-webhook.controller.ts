import {
  BadRequestException,
  Controller,
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
import { normaliseXEvent } from '../normalisers/x.normaliser';
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
import { verifyXSignature, xCrcResponseToken } from './webhook-signature.util';

/** X Account Activity API webhooks of one X app: /webhooks/x/<app id>. */
@Controller('webhooks/x')
export class XWebhookController {
  constructor(
    private readonly accounts: AccountDirectory,
    private readonly acceptUpdates: AcceptWebhookUpdatesUseCase,
    private readonly metrics: SocialMetrics,
    @Inject(SOCIAL_CLOCK) private readonly clock: Clock,
  ) {}

  /** The challenge-response check X runs at registration and hourly afterwards. */
  @Get(':appId')
  crc(
    @Param('appId') appId: string,
    @Query('crc_token') crcToken: string | undefined,
  ): { response_token: string } {
    const app = this.accounts.xApp(appId);
    if (app === undefined) throw unknownSigner('x', this.metrics);
    if (typeof crcToken !== 'string' || crcToken === '') {
      throw new BadRequestException('crc_token query parameter is required');
    }
    return { response_token: xCrcResponseToken(crcToken, app.consumerSecret) };
  }

  @Post(':appId')
  @HttpCode(200)
  async receive(
    @Param('appId') appId: string,
    @Headers('x-twitter-webhooks-signature') signature: string | undefined,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<AcceptWebhookUpdatesResult> {
    const app = this.accounts.xApp(appId);
    if (app === undefined) throw unknownSigner('x', this.metrics);
    const raw = await readRawBody(request).catch((error: unknown) =>
      countBodyTooLarge(error, 'x', this.metrics),
    );
    requireValidSignature(verifyXSignature(raw, signature, app.consumerSecret), 'x', this.metrics);
    const payload = parseJsonBody(raw, 'x', this.metrics);
    const updates = normaliseXEvent(payload, this.clock.now());
    return acceptOrRefuseTemporarily(
      response,
      () => this.acceptUpdates.execute({ platform: 'x', signerId: app.id, updates }),
      { platform: 'x', metrics: this.metrics },
    );
  }
}
