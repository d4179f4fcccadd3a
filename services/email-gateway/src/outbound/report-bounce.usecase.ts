import {
  type DeliveryStatus,
  deliveryStatusSchema,
  encodeEnvelope,
  type InboundMessage,
  Topics,
} from '@switchboard/events';
import type { MessageProducer } from '@switchboard/kafka';
import type { Clock } from '../shared/clock';
import type { OutboundLedger } from './outbound-ledger';

export interface ReportBounceDependencies {
  ledger: OutboundLedger;
  producer: MessageProducer;
  clock: Clock;
  deliveryStatusTopic?: string;
}

/**
 * A DSN bounce that names one of our outbound Message-IDs becomes a 'bounced' DeliveryStatus of
 * that outbound message. The lookup is per tenant (the tenant the bounce was delivered to), so a
 * bounce can never mark another tenant's message. Other mail is left alone.
 */
export class ReportBounceUseCase {
  private readonly statusTopic: string;

  constructor(private readonly deps: ReportBounceDependencies) {
    this.statusTopic = deps.deliveryStatusTopic ?? Topics.deliveryStatus;
  }

  /** Returns the reported status, or undefined when the mail is not a bounce of ours. */
  async execute(inbound: InboundMessage): Promise<DeliveryStatus | undefined> {
    const bouncedMessageId = inbound.metadata['email.bouncedMessageId'];
    if (!inbound.flags.bounce || bouncedMessageId === undefined) return undefined;
    const sent = await this.deps.ledger.findSentMessage(inbound.tenantId, bouncedMessageId);
    if (!sent) return undefined;
    const undeliverable = inbound.metadata['email.undeliverableAddress'];
    const bounceStatus = inbound.metadata['email.bounceStatus'];
    const status = deliveryStatusSchema.parse({
      schemaVersion: 1,
      tenantId: sent.tenantId,
      messageId: sent.messageId,
      conversationId: sent.conversationId,
      channel: 'email',
      status: 'bounced',
      externalMessageId: bouncedMessageId,
      ...(bounceStatus !== undefined ? { errorCode: bounceStatus } : {}),
      errorMessage: `bounced${undeliverable !== undefined ? ` for ${undeliverable}` : ''} (report ${inbound.externalMessageId})`,
      occurredAt: this.deps.clock.now().toISOString(),
    } satisfies DeliveryStatus);
    await this.deps.producer.send(this.statusTopic, [
      { key: sent.conversationId, value: encodeEnvelope(status) },
    ]);
    return status;
  }
}
