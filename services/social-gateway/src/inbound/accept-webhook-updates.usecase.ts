import type { DeliveryStatus, InboundMessage } from '@switchboard/events';
import type { Logger } from 'pino';
import { type AccountDirectory, belongsToSigner } from '../accounts/account-directory';
import type { SocialAccount, SocialChannel } from '../config/social-accounts.config';
import type { SocialEventPublisher } from '../kafka/social-event.publisher';
import type { NormalisedUpdate, ReadWatermarkDraft } from '../normalisers/normalised-update.type';
import { inboundMessageId } from '../shared/message-id.util';
import type { SocialMetrics, WebhookPlatform } from '../shared/social-metrics';
import type { SeenDeliveryStore } from '../state/seen-delivery.store';
import type { SentMessageIndex } from '../state/sent-message.index';
import type { ServiceWindowStore } from '../state/service-window.store';

export interface AcceptWebhookUpdatesCommand {
  platform: WebhookPlatform;
  /** The Meta/X app or Telegram bot whose secret verified the request. */
  signerId: string;
  updates: readonly NormalisedUpdate[];
}

export interface AcceptWebhookUpdatesResult {
  produced: number;
  duplicates: number;
  statuses: number;
  skipped: number;
}

/**
 * Turns the updates of one verified webhook into events: customer messages onto the inbound topic
 * and statuses of our sends onto the delivery-status topic, each only once. Everything is produced
 * before the platform gets its 200; a failure to produce (KafkaUnavailableError) or to reach Redis
 * (StateUnavailableError) propagates so the platform is asked to retry, and nothing is marked seen
 * unless it was produced.
 */
export class AcceptWebhookUpdatesUseCase {
  constructor(
    private readonly accounts: AccountDirectory,
    private readonly seen: SeenDeliveryStore,
    private readonly window: ServiceWindowStore,
    private readonly sentIndex: SentMessageIndex,
    private readonly publisher: SocialEventPublisher,
    private readonly metrics: SocialMetrics,
    private readonly logger: Logger,
  ) {}

  async execute(command: AcceptWebhookUpdatesCommand): Promise<AcceptWebhookUpdatesResult> {
    const { platform } = command;
    const candidates: { envelope: InboundMessage; account: SocialAccount; dedupeKey: string }[] =
      [];
    const statuses: DeliveryStatus[] = [];
    const readsToForget: {
      tenantId: string;
      channel: SocialChannel;
      threadKey: string;
      watermark: Date;
    }[] = [];
    // A message sent as several platform messages (text, then media) is read once, not per part.
    const reportedReads = new Set<string>();
    let skipped = 0;

    for (const update of command.updates) {
      if (
        update.outcome === 'echo' ||
        update.outcome === 'ignored' ||
        update.outcome === 'unknown'
      ) {
        this.metrics.webhookUpdate(platform, update.outcome);
        if (update.outcome === 'unknown') {
          this.logger.warn(
            { platform, reason: update.reason },
            'unrecognised webhook update acknowledged',
          );
        }
        skipped += 1;
        continue;
      }
      const account = this.accounts.account(update.channel, update.accountId);
      if (account === undefined || !belongsToSigner(account, command.signerId)) {
        // Retrying would not help, so it is acknowledged; the log says which account to configure.
        this.metrics.webhookUpdate(platform, 'unknown_account');
        this.logger.warn(
          {
            platform,
            channel: update.channel,
            accountId: update.accountId,
            signerId: command.signerId,
          },
          'webhook update for an account not configured for this app; acknowledged and dropped',
        );
        skipped += 1;
        continue;
      }
      const tenantId = account.tenantId;
      switch (update.outcome) {
        case 'message': {
          const { message } = update;
          candidates.push({
            account,
            dedupeKey: `${tenantId}:${message.channel}:${message.externalMessageId}`,
            envelope: {
              ...message,
              schemaVersion: 1,
              tenantId,
              messageId: inboundMessageId(tenantId, message.channel, message.externalMessageId),
            },
          });
          break;
        }
        case 'status': {
          const ref = await this.sentIndex.lookup(
            tenantId,
            update.channel,
            update.status.externalMessageId,
          );
          if (ref === undefined) {
            this.metrics.webhookUpdate(platform, 'status_unmatched');
            skipped += 1;
            break;
          }
          statuses.push({
            schemaVersion: 1,
            tenantId,
            messageId: ref.messageId,
            conversationId: ref.conversationId,
            channel: update.channel,
            status: update.status.status,
            externalMessageId: ref.externalMessageId,
            occurredAt: update.status.occurredAt,
            ...(update.status.errorCode !== undefined && { errorCode: update.status.errorCode }),
            ...(update.status.errorMessage !== undefined && {
              errorMessage: update.status.errorMessage,
            }),
          });
          break;
        }
        case 'read-watermark': {
          const { threadKey, readAt } = update.read;
          const watermark = await this.readWatermark(tenantId, update.channel, update.read);
          const refs = await this.sentIndex.unreadUpTo(
            tenantId,
            update.channel,
            threadKey,
            watermark,
          );
          for (const ref of refs) {
            if (reportedReads.has(`${tenantId}:${ref.messageId}`)) continue;
            reportedReads.add(`${tenantId}:${ref.messageId}`);
            statuses.push({
              schemaVersion: 1,
              tenantId,
              messageId: ref.messageId,
              conversationId: ref.conversationId,
              channel: update.channel,
              status: 'read',
              externalMessageId: ref.externalMessageId,
              occurredAt: readAt,
            });
          }
          if (refs.length === 0) this.metrics.webhookUpdate(platform, 'read_unmatched');
          readsToForget.push({ tenantId, channel: update.channel, threadKey, watermark });
          break;
        }
      }
    }

    // One webhook may carry the same message twice, and platforms redeliver whole webhooks.
    const unique = [
      ...new Map(candidates.map((candidate) => [candidate.dedupeKey, candidate])).values(),
    ];
    const seenBefore = await this.seen.wereSeen(unique.map((candidate) => candidate.dedupeKey));
    const fresh = unique.filter((_, index) => seenBefore[index] !== true);
    const duplicates = candidates.length - fresh.length;

    await this.publisher.publishInbound(fresh.map((candidate) => candidate.envelope));
    await this.publisher.publishStatuses(statuses);

    // Only now that Kafka has them: remember the window, then the dedupe marks.
    for (const { envelope, account } of fresh) {
      if (account.channel === 'whatsapp') {
        await this.window.recordCustomerMessage(
          {
            tenantId: envelope.tenantId,
            accountId: account.phoneNumberId,
            customerId: envelope.sender.value,
          },
          new Date(envelope.receivedAt),
        );
      }
    }
    for (const { tenantId, channel, threadKey, watermark } of readsToForget) {
      await this.sentIndex.forgetUnreadUpTo(tenantId, channel, threadKey, watermark);
    }
    await this.seen.markSeen(fresh.map((candidate) => candidate.dedupeKey));

    this.metrics.webhookUpdate(platform, 'message', fresh.length);
    this.metrics.webhookUpdate(platform, 'duplicate', duplicates);
    this.metrics.webhookUpdate(platform, 'status', statuses.length);
    return { produced: fresh.length, duplicates, statuses: statuses.length, skipped };
  }

  /**
   * Up to when a read report covers our sends in its thread. When it names the last message read
   * and that message is ours (looked up in the same index that maps delivery statuses), its send
   * time is exact: later sends stay unread even if they went out before the report arrived.
   */
  private async readWatermark(
    tenantId: string,
    channel: SocialChannel,
    read: ReadWatermarkDraft,
  ): Promise<Date> {
    if (read.lastReadExternalMessageId !== undefined) {
      const lastRead = await this.sentIndex.lookup(
        tenantId,
        channel,
        read.lastReadExternalMessageId,
      );
      if (lastRead?.sentAt !== undefined && lastRead.threadKey === read.threadKey) {
        return new Date(lastRead.sentAt);
      }
    }
    return new Date(read.watermark);
  }
}
