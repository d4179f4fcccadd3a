import type { DeliveryStatus, OutboundMessage } from '@switchboard/events';
import type { Logger } from 'pino';
import type { AccountDirectory } from '../accounts/account-directory';
import { SOCIAL_CHANNELS, type SocialChannel } from '../config/social-accounts.config';
import type { SocialEventPublisher } from '../kafka/social-event.publisher';
import { parseSocialThreadKey } from '../normalisers/normalised-update.type';
import type { Clock } from '../shared/clock';
import type { SocialMetrics } from '../shared/social-metrics';
import type { OutboundLedger, OutboundRecord } from '../state/outbound-ledger.store';
import type { SentMessageIndex } from '../state/sent-message.index';
import { type ServiceWindowStore, WHATSAPP_SERVICE_WINDOW_MS } from '../state/service-window.store';
import { composeReply, type ReplyPart } from './compose-reply.util';
import type { PlatformProviderFactory } from './providers/platform-provider.factory';
import { type RetryPolicy, sendWithRetry } from './send-with-retry.util';

/** Codes of failures decided by the gateway itself (platform failures carry the platform's code). */
export const GatewayFailureCodes = {
  unknownAccount: 'unknown_account',
  badThreadKey: 'invalid_thread_key',
  outsideServiceWindow: 'outside_customer_service_window',
  outcomeUnknown: 'delivery_outcome_unknown',
  emptyReply: 'empty_reply',
} as const;

function describePart(part: ReplyPart): string {
  return part.kind === 'media' ? `${part.media.kind} ${part.media.filename}`.trim() : part.kind;
}

export function isSocialChannel(channel: string): channel is SocialChannel {
  return (SOCIAL_CHANNELS as readonly string[]).includes(channel);
}

/**
 * Delivers one agent reply on its platform, at most once per message id: a redelivered message
 * only re-reports the recorded outcome. The outcome is reported as a DeliveryStatus (sent, or
 * failed with the platform's or the gateway's code). Throws only when Kafka or Redis cannot be
 * reached, so the consumer retries the message.
 */
export class DeliverOutboundMessageUseCase {
  constructor(
    private readonly accounts: AccountDirectory,
    private readonly providers: PlatformProviderFactory,
    private readonly ledger: OutboundLedger,
    private readonly window: ServiceWindowStore,
    private readonly sentIndex: SentMessageIndex,
    private readonly publisher: SocialEventPublisher,
    private readonly retryPolicy: RetryPolicy,
    private readonly metrics: SocialMetrics,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async execute(message: OutboundMessage): Promise<void> {
    if (!isSocialChannel(message.channel)) return;
    const channel = message.channel;
    const existing = await this.ledger.claim(message.tenantId, message.messageId, this.clock.now());
    if (existing !== undefined) {
      await this.reportRedelivery(message, existing);
      return;
    }

    const thread = parseSocialThreadKey(message.threadKey);
    if (thread === undefined) {
      return this.fail(
        message,
        GatewayFailureCodes.badThreadKey,
        `thread key "${message.threadKey}" names no account`,
      );
    }
    const account = this.accounts.account(channel, thread.accountId);
    // Tenant isolation: a tenant may only send from its own accounts.
    if (account === undefined || account.tenantId !== message.tenantId) {
      return this.fail(
        message,
        GatewayFailureCodes.unknownAccount,
        `no ${channel} account ${thread.accountId} for this tenant`,
      );
    }
    const recipientId = message.recipient.value;
    if (account.channel === 'whatsapp' && message.template === undefined) {
      const last = await this.window.lastCustomerMessageAt({
        tenantId: message.tenantId,
        accountId: account.phoneNumberId,
        customerId: recipientId,
      });
      if (
        last === undefined ||
        this.clock.now().getTime() - last.getTime() > WHATSAPP_SERVICE_WINDOW_MS
      ) {
        return this.fail(
          message,
          GatewayFailureCodes.outsideServiceWindow,
          "WhatsApp allows free-form replies only within 24 hours of the customer's last message; send an approved template instead",
        );
      }
    }

    const composed = composeReply(channel, message);
    if (composed.kind === 'refused') {
      return this.fail(message, composed.errorCode, composed.errorMessage);
    }
    const provider = this.providers.forChannel(channel);
    const sentIds: string[] = [];
    for (const [index, part] of composed.parts.entries()) {
      const replyTo = index === 0 ? message.inReplyTo[0] : undefined;
      const { result, attempts } = await sendWithRetry(
        () =>
          provider.send({
            account,
            recipientId,
            part,
            ...(replyTo !== undefined && { replyToExternalId: replyTo }),
          }),
        this.retryPolicy,
        this.clock,
      );
      if (result.kind !== 'sent') {
        this.logger.warn(
          {
            tenantId: message.tenantId,
            messageId: message.messageId,
            channel,
            attempts,
            part: index + 1,
            parts: composed.parts.length,
            errorCode: result.errorCode,
          },
          'platform refused an outbound message',
        );
        // Parts already out stay out (they cannot be recalled); the agent is told which went.
        const partial =
          composed.parts.length > 1
            ? ` (part ${index + 1} of ${composed.parts.length}: ${describePart(part)}; ${sentIds.length} sent before it)`
            : '';
        return this.fail(message, result.errorCode, `${result.errorMessage}${partial}`);
      }
      sentIds.push(result.externalMessageId);
      // Each part's platform id maps back to this message, so its statuses and reads do too.
      await this.sentIndex.remember(
        message.tenantId,
        channel,
        message.threadKey,
        this.clock.now(),
        {
          messageId: message.messageId,
          conversationId: message.conversationId,
          externalMessageId: result.externalMessageId,
        },
      );
    }
    const [firstId] = sentIds;
    if (firstId === undefined) {
      return this.fail(message, GatewayFailureCodes.emptyReply, 'the reply has nothing to send');
    }
    const now = this.clock.now();
    await this.ledger.settle(message.tenantId, message.messageId, {
      state: 'sent',
      externalMessageId: firstId,
      at: now.toISOString(),
    });
    this.metrics.outboundOutcome(channel, 'sent');
    await this.publisher.publishStatuses([
      this.status(message, 'sent', now.toISOString(), { externalMessageId: firstId }),
    ]);
  }

  private async reportRedelivery(message: OutboundMessage, record: OutboundRecord): Promise<void> {
    switch (record.state) {
      case 'sent':
        await this.publisher.publishStatuses([
          this.status(message, 'sent', record.at, { externalMessageId: record.externalMessageId }),
        ]);
        return;
      case 'failed':
        await this.publisher.publishStatuses([
          this.status(message, 'failed', record.at, {
            errorCode: record.errorCode,
            errorMessage: record.errorMessage,
          }),
        ]);
        return;
      case 'in-flight':
        // An earlier attempt died mid-send: the platform may or may not have the message. Sending
        // again could show it twice, so the agent is told instead and decides.
        await this.fail(
          message,
          GatewayFailureCodes.outcomeUnknown,
          `an earlier delivery attempt (since ${record.since}) stopped before its outcome was known`,
        );
        return;
    }
  }

  private async fail(
    message: OutboundMessage,
    errorCode: string,
    errorMessage: string,
  ): Promise<void> {
    const at = this.clock.now().toISOString();
    await this.ledger.settle(message.tenantId, message.messageId, {
      state: 'failed',
      errorCode,
      errorMessage,
      at,
    });
    this.metrics.outboundOutcome(message.channel, 'failed');
    await this.publisher.publishStatuses([
      this.status(message, 'failed', at, { errorCode, errorMessage }),
    ]);
  }

  private status(
    message: OutboundMessage,
    status: DeliveryStatus['status'],
    occurredAt: string,
    extra: Pick<DeliveryStatus, 'externalMessageId' | 'errorCode' | 'errorMessage'>,
  ): DeliveryStatus {
    return {
      schemaVersion: 1,
      tenantId: message.tenantId,
      messageId: message.messageId,
      conversationId: message.conversationId,
      channel: message.channel,
      status,
      occurredAt,
      ...extra,
    };
  }
}
