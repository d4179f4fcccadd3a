import type { DeliveryStatus } from '@switchboard/events';
import type { ConversationChanger } from '../conversations/conversation-change.service';
import {
  type DeliveryState,
  isDeliveryState,
  type MessageRepository,
} from '../persistence/message.repository';
import { asTenantId } from '../shared/tenant-id';

export type DeliveryStatusOutcome = 'announced' | 'unchanged' | 'unknown_message';

/**
 * How far a reply got. A status only replaces lower ones, so redeliveries and late reports change
 * nothing (a `delivered` after `read`). A failure outranks `sent` (a bounce after the relay took
 * the mail) but not `delivered`: a later proof of delivery beats an earlier failure report.
 */
const RANK: Record<DeliveryState, number> = {
  received: 0,
  queued: 0,
  deferred: 1,
  sent: 2,
  failed: 3,
  bounced: 3,
  delivered: 4,
  read: 5,
};

const lowerThan = (status: DeliveryState): DeliveryState[] =>
  (Object.keys(RANK) as DeliveryState[]).filter((state) => RANK[state] < RANK[status]);

/**
 * Records a gateway's delivery report on the agent reply and announces it as a
 * `message_status_changed` event, so agent UIs show ticks. Crash-safe and idempotent like
 * ingestion: (1) the message's status moves forward (conditional update); (2) the event is decided
 * from the message and written with the conversation in one atomic change, unless it is pending
 * there already or the message says it was announced; (3) the outbox marks the message announced
 * before it forgets the event. A redelivery after a crash anywhere completes the work, once.
 */
export class RecordDeliveryStatusUseCase {
  constructor(
    private readonly messages: MessageRepository,
    private readonly changer: ConversationChanger,
  ) {}

  async execute(report: DeliveryStatus): Promise<DeliveryStatusOutcome> {
    const tenant = asTenantId(report.tenantId);
    const message = await this.messages.findById(tenant, report.messageId);
    // Only agent replies are delivered by gateways; the tenant comes with the lookup.
    if (!message || message.direction !== 'outbound') return 'unknown_message';
    const error =
      report.errorCode !== undefined || report.errorMessage !== undefined
        ? { code: report.errorCode, message: report.errorMessage }
        : undefined;
    await this.messages.advanceDeliveryStatus(tenant, message.id, {
      status: report.status,
      replaces: lowerThan(report.status),
      error: report.status === 'failed' || report.status === 'bounced' ? error : undefined,
      externalId: report.externalMessageId,
    });

    let announced = false;
    await this.changer.change(tenant, message.conversationId, async (current) => {
      const fresh = await this.messages.findById(tenant, message.id);
      if (!fresh) return { unchanged: true };
      // What UIs have been told: the message's mark, or an event still in the outbox.
      let previous: DeliveryState = fresh.deliveryAnnounced ?? 'queued';
      for (const event of current.pending) {
        const status = event.data['status'];
        if (
          event.type === 'message_status_changed' &&
          event.data['messageId'] === fresh.id &&
          isDeliveryState(status) &&
          RANK[status] > RANK[previous]
        ) {
          previous = status;
        }
      }
      if (RANK[previous] >= RANK[fresh.deliveryStatus]) return { unchanged: true };
      announced = true;
      const data: Record<string, string> = {
        messageId: fresh.id,
        status: fresh.deliveryStatus,
        previousStatus: previous,
      };
      if (fresh.deliveryError?.code) data['errorCode'] = fresh.deliveryError.code;
      if (fresh.deliveryError?.message) data['errorMessage'] = fresh.deliveryError.message;
      return {
        patch: {},
        events: [
          {
            type: 'message_status_changed',
            actor: { kind: 'system', id: `${report.channel}-gateway` },
            triggersRouting: false,
            data,
          },
        ],
      };
    });
    return announced ? 'announced' : 'unchanged';
  }
}
