import {
  BadRequestException,
  ForbiddenException,
  HttpException,
  NotFoundException,
  PayloadTooLargeException,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { KafkaUnavailableError } from '@switchboard/kafka';
import type { Response } from 'express';
import type { SocialMetrics, WebhookPlatform } from '../shared/social-metrics';
import { StateUnavailableError } from '../state/state-unavailable.error';
import type { SignatureVerdict } from './webhook-signature.util';

/** Seconds the platform is asked to wait before retrying a refused delivery. */
const RETRY_AFTER_SECONDS = 5;

/** 401 without a signature, 403 with a wrong one; counted either way, never processed. */
export function requireValidSignature(
  verdict: SignatureVerdict,
  platform: WebhookPlatform,
  metrics: SocialMetrics,
): void {
  if (verdict === 'valid') return;
  if (verdict === 'missing') {
    metrics.webhookRejected(platform, 'signature_missing');
    throw new UnauthorizedException('missing webhook signature');
  }
  metrics.webhookRejected(platform, 'signature_invalid');
  throw new ForbiddenException('invalid webhook signature');
}

export function unknownSigner(
  platform: WebhookPlatform,
  metrics: SocialMetrics,
): NotFoundException {
  metrics.webhookRejected(platform, 'unknown_app');
  return new NotFoundException('no such webhook');
}

/** The body was signed correctly but is not JSON: the sender has a bug, retrying will not help. */
export function parseJsonBody(
  raw: Buffer,
  platform: WebhookPlatform,
  metrics: SocialMetrics,
): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (error) {
    metrics.webhookRejected(platform, 'malformed_json');
    const detail = error instanceof Error ? error.message : String(error);
    throw new BadRequestException(`malformed JSON body: ${detail}`);
  }
}

export function countBodyTooLarge(
  error: unknown,
  platform: WebhookPlatform,
  metrics: SocialMetrics,
): never {
  if (error instanceof PayloadTooLargeException)
    metrics.webhookRejected(platform, 'body_too_large');
  throw error;
}

/**
 * Runs the accepting use case; when Kafka or Redis cannot take the updates, answers 503 with
 * Retry-After so the platform redelivers later (nothing was acknowledged, nothing is lost).
 */
export async function acceptOrRefuseTemporarily<T>(
  response: Response,
  task: () => Promise<T>,
  refusal: { platform: WebhookPlatform; metrics: SocialMetrics },
): Promise<T> {
  try {
    return await task();
  } catch (error) {
    if (error instanceof KafkaUnavailableError || error instanceof StateUnavailableError) {
      // Counted, so a dashboard shows webhooks the platforms will have to redeliver.
      refusal.metrics.webhookDeferred(
        refusal.platform,
        error instanceof KafkaUnavailableError ? 'kafka' : 'redis',
      );
      response.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      throw new ServiceUnavailableException('cannot accept the webhook right now; retry later', {
        cause: error,
      });
    }
    if (error instanceof HttpException) throw error;
    throw error;
  }
}
