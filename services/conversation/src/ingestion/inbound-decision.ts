import type { InboundMessage } from '@switchboard/events';
import {
  type Conversation,
  type ConversationPatch,
  type EventDraft,
  isAutomated,
} from '../conversations/conversation.model';
import type { SlaTargets } from '../sla/sla-policy';
import { routingDataOf } from './routing-data';

const KEPT_INBOUND_EXTERNAL_IDS = 5;

/**
 * How a customer message changes its conversation. Automated messages (auto-replies, bounces,
 * bulk, our own echoes) are recorded but never reopen the conversation, start SLA clocks or
 * trigger routing.
 */
export function decideInbound(
  conversation: Conversation,
  message: InboundMessage,
  messageId: string,
  contactId: string,
  targets: SlaTargets,
  now: Date,
): { patch: ConversationPatch; events: EventDraft[] } {
  const automated = isAutomated(message.flags);
  const actor = { kind: 'customer' as const, id: contactId };
  const events: EventDraft[] = [
    {
      type: 'message_added',
      actor,
      triggersRouting: !automated,
      data: {
        ...routingDataOf(message),
        messageId,
        direction: 'inbound',
        automated: String(automated),
      },
      messageId,
    },
  ];
  const patch: ConversationPatch = {
    inboundCount: conversation.inboundCount + 1,
    lastInboundExternalIds: [
      ...conversation.lastInboundExternalIds,
      message.externalMessageId,
    ].slice(-KEPT_INBOUND_EXTERNAL_IDS),
    subject: conversation.subject ?? message.subject,
  };
  if (automated) return { patch, events };

  patch.recipient = message.sender;
  const sla = { ...conversation.sla, breached: [...conversation.sla.breached] };
  if (conversation.status !== 'open') {
    const reopened = conversation.status === 'resolved';
    events.push({
      type: 'status_changed',
      actor,
      triggersRouting: true,
      data: { previousStatus: conversation.status, status: 'open', reason: 'customer_replied' },
    });
    patch.status = 'open';
    patch.snoozedUntil = undefined;
    if (reopened) {
      patch.reopenCount = conversation.reopenCount + 1;
      sla.resolvedAt = undefined;
      sla.resolutionDueAt = new Date(now.getTime() + targets.resolutionMs);
    }
  }
  if (conversation.awaitingReplySince === undefined) patch.awaitingReplySince = now;
  // A clock that already breached is not restarted; the breach stays recorded.
  if (sla.firstResponseAt === undefined) {
    if (!sla.breached.includes('first_response')) {
      sla.firstResponseDueAt ??= new Date(
        conversation.createdAt.getTime() + targets.firstResponseMs,
      );
    }
  } else {
    sla.nextResponseDueAt ??= new Date(now.getTime() + targets.nextResponseMs);
  }
  if (!sla.breached.includes('resolution')) {
    sla.resolutionDueAt ??= new Date(conversation.createdAt.getTime() + targets.resolutionMs);
  }
  patch.sla = sla;
  return { patch, events };
}
