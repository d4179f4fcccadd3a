import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  Controller,
  ForbiddenException,
  HttpCode,
  HttpException,
  Inject,
  Post,
  Query,
  Req,
  UnprocessableEntityException,
  BadRequestException,
  PayloadTooLargeException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { IngestMailUseCase } from '../inbound/ingest-mail.usecase';
import { TenantDirectory } from '../tenants/tenant-directory';
import { RAW_MIME_SETTINGS, type RawMimeSettings } from './raw-mime.settings';

/**
 * The inbound-parse style endpoint: POST /inbound/raw-mime?to=<support address> with the raw
 * RFC 822 message as the body and the shared secret in `X-Switchboard-Secret`. 200 only once the
 * message is on Kafka; 503 while a dependency is unavailable (retry); 422 for unusable MIME.
 */
@Controller('inbound')
export class RawMimeController {
  constructor(
    private readonly ingest: IngestMailUseCase,
    private readonly tenants: TenantDirectory,
    @Inject(RAW_MIME_SETTINGS) private readonly settings: RawMimeSettings,
  ) {}

  @Post('raw-mime')
  @HttpCode(200)
  async receive(
    @Req() request: IncomingMessage,
    @Query('to') to: string | undefined,
  ): Promise<{ messageId: string; threadKey: string }> {
    this.authenticate(request.headers['x-switchboard-secret']);
    const recipients = (to ?? '')
      .split(',')
      .map((value) => value.trim())
      .filter(Boolean);
    const tenant = recipients.length > 0 ? this.tenants.tenantFor(recipients[0] ?? '') : undefined;
    if (!tenant)
      throw new BadRequestException('query parameter "to" must name a configured support address');
    const raw = await this.readBody(request);
    try {
      const outcome = await this.ingest.execute({
        raw,
        tenantId: tenant.id,
        recipients,
        source: 'http',
        receivedAt: new Date(),
      });
      if (outcome.kind === 'rejected')
        throw new UnprocessableEntityException(`message not accepted: ${outcome.reason}`);
      return { messageId: outcome.envelope.messageId, threadKey: outcome.envelope.threadKey };
    } catch (error) {
      if (error instanceof HttpException) throw error;
      throw new ServiceUnavailableException('temporarily unable to accept mail; please retry');
    }
  }

  private authenticate(header: string | string[] | undefined): void {
    const expected = this.settings.secret;
    if (expected === undefined) throw new ForbiddenException('raw MIME ingest is not enabled');
    const given = typeof header === 'string' ? header : '';
    // Compare digests so the comparison takes the same time whatever the lengths.
    const a = createHash('sha256').update(given).digest();
    const b = createHash('sha256').update(expected).digest();
    if (!timingSafeEqual(a, b)) throw new ForbiddenException('invalid shared secret');
  }

  private async readBody(request: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size > this.settings.maxMessageBytes) {
        throw new PayloadTooLargeException(
          `message exceeds the ${this.settings.maxMessageBytes}-byte limit`,
        );
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  }
}
