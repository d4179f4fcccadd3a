import { Counter, type Registry } from 'prom-client';

export type WebhookPlatform = 'meta' | 'telegram' | 'x';

export type WebhookRejection =
  | 'signature_missing'
  | 'signature_invalid'
  | 'unknown_app'
  | 'malformed_json'
  | 'body_too_large'
  | 'verify_token_mismatch';

/** Everything the social gateway counts beyond the Kafka client's own metrics. */
export class SocialMetrics {
  private readonly rejected: Counter<'platform' | 'reason'>;
  private readonly updates: Counter<'platform' | 'outcome'>;
  private readonly outbound: Counter<'channel' | 'outcome'>;
  private readonly deferred: Counter<'platform' | 'dependency'>;

  constructor(registry: Registry) {
    this.rejected = counter(
      registry,
      'switchboard_social_webhook_rejected_total',
      'Webhook requests refused before any processing (bad or missing signature, malformed body …)',
      ['platform', 'reason'],
    );
    this.updates = counter(
      registry,
      'switchboard_social_webhook_updates_total',
      'Items of accepted webhooks, by what they turned out to be',
      ['platform', 'outcome'],
    );
    this.outbound = counter(
      registry,
      'switchboard_social_outbound_total',
      'Outbound messages by final outcome',
      ['channel', 'outcome'],
    );
    this.deferred = counter(
      registry,
      'switchboard_social_webhook_deferred_total',
      'Webhooks answered 503 because Kafka or Redis was unavailable (the platform redelivers)',
      ['platform', 'dependency'],
    );
  }

  webhookDeferred(platform: WebhookPlatform, dependency: 'kafka' | 'redis'): void {
    this.deferred.inc({ platform, dependency });
  }

  webhookRejected(platform: WebhookPlatform, reason: WebhookRejection): void {
    this.rejected.inc({ platform, reason });
  }

  webhookUpdate(platform: WebhookPlatform, outcome: string, count = 1): void {
    if (count > 0) this.updates.inc({ platform, outcome }, count);
  }

  outboundOutcome(channel: string, outcome: string): void {
    this.outbound.inc({ channel, outcome });
  }
}

function counter<Label extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: Label[],
): Counter<Label> {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Counter) return existing;
  return new Counter({ name, help, labelNames, registers: [registry] });
}
