import { commonV1, conversationV1 } from '@switchboard/contracts';
import type { Channel, ConversationSnapshot } from '@switchboard/events';
import type {
  Conversation,
  ConversationStatus,
  Priority,
} from '../conversations/conversation.model';
import type { ContactMerge } from '../persistence/contact.repository';
import type { LoggedEvent } from '../persistence/event-log.repository';
import type { StoredMessage } from '../persistence/message.repository';
import type { FeedItem } from '../watch/event-feed.hub';

const CHANNELS: Record<Channel, commonV1.Channel> = {
  email: commonV1.Channel.EMAIL,
  chat: commonV1.Channel.CHAT,
  messenger: commonV1.Channel.MESSENGER,
  instagram: commonV1.Channel.INSTAGRAM,
  whatsapp: commonV1.Channel.WHATSAPP,
  telegram: commonV1.Channel.TELEGRAM,
  x: commonV1.Channel.X,
};

const STATUSES: Record<ConversationStatus, conversationV1.ConversationStatus> = {
  open: conversationV1.ConversationStatus.OPEN,
  pending: conversationV1.ConversationStatus.PENDING,
  snoozed: conversationV1.ConversationStatus.SNOOZED,
  resolved: conversationV1.ConversationStatus.RESOLVED,
};

const PRIORITIES: Record<Priority, commonV1.Priority> = {
  low: commonV1.Priority.LOW,
  normal: commonV1.Priority.NORMAL,
  high: commonV1.Priority.HIGH,
  urgent: commonV1.Priority.URGENT,
};

function invert<K extends string, V extends number>(map: Record<K, V>): Map<number, K> {
  return new Map(Object.entries(map).map(([key, value]) => [value as number, key as K]));
}
const channelByProto = invert(CHANNELS);
const statusByProto = invert(STATUSES);
const priorityByProto = invert(PRIORITIES);

export const channelFromProto = (value: number): Channel | undefined => channelByProto.get(value);
export const statusFromProto = (value: number): ConversationStatus | undefined =>
  statusByProto.get(value);
export const priorityFromProto = (value: number): Priority | undefined =>
  priorityByProto.get(value);

export function toProtoConversation(conversation: Conversation): conversationV1.Conversation {
  return {
    id: conversation.id,
    tenantId: conversation.tenantId,
    channel: CHANNELS[conversation.channel],
    threadKey: conversation.threadKey,
    subject: conversation.subject ?? '',
    status: STATUSES[conversation.status],
    priority: PRIORITIES[conversation.priority],
    tags: conversation.tags,
    contactId: conversation.contactId,
    queueId: conversation.queueId ?? '',
    assigneeId: conversation.assigneeId ?? '',
    createdAt: conversation.createdAt,
    updatedAt: conversation.updatedAt,
    snoozedUntil: conversation.snoozedUntil,
    lastSequence: String(conversation.seq),
    sla: {
      firstResponseDueAt: conversation.sla.firstResponseDueAt,
      nextResponseDueAt: conversation.sla.nextResponseDueAt,
      resolutionDueAt: conversation.sla.resolutionDueAt,
      firstResponseAt: conversation.sla.firstResponseAt,
      resolvedAt: conversation.sla.resolvedAt,
      breached: conversation.sla.breached,
    },
  };
}

function snapshotToProto(
  tenantId: string,
  conversationId: string,
  snapshot: ConversationSnapshot,
  at: Date,
  seq: number,
): conversationV1.Conversation {
  return {
    id: conversationId,
    tenantId,
    channel: CHANNELS[snapshot.channel],
    threadKey: snapshot.threadKey,
    subject: snapshot.subject ?? '',
    status: STATUSES[snapshot.status],
    priority: PRIORITIES[snapshot.priority],
    tags: snapshot.tags,
    contactId: snapshot.contactId,
    queueId: snapshot.queueId ?? '',
    assigneeId: snapshot.assigneeId ?? '',
    updatedAt: at,
    snoozedUntil: snapshot.snoozedUntil ? new Date(snapshot.snoozedUntil) : undefined,
    lastSequence: String(seq),
  };
}

const DIRECTIONS = {
  inbound: conversationV1.MessageDirection.INBOUND,
  outbound: conversationV1.MessageDirection.OUTBOUND,
  note: conversationV1.MessageDirection.NOTE,
} as const;

export function toProtoMessage(message: StoredMessage): conversationV1.Message {
  return {
    id: message.id,
    conversationId: message.conversationId,
    direction: DIRECTIONS[message.direction],
    authorId: message.authorId,
    text: message.text,
    html: message.html ?? '',
    attachments: message.attachments.map((attachment) => ({
      filename: attachment.filename,
      contentType: attachment.contentType,
      sizeBytes: String(attachment.sizeBytes),
      storageKey: attachment.storageKey ?? '',
      inline: attachment.inline,
    })),
    externalId: message.externalId ?? '',
    deliveryStatus: message.deliveryStatus,
    createdAt: message.createdAt,
    conversationSequence: String(message.conversationSeq ?? 0),
    reactions:
      message.reaction?.emoji && !message.deletedAt
        ? [
            customerReaction(
              message.reaction.emoji,
              message.reaction.at,
              message.reaction.contactId,
            ),
          ]
        : [],
    editedAt: message.editedAt,
    deletedAt: message.deletedAt,
  };
}

function customerReaction(
  emoji: string,
  at: Date | undefined,
  contactId: string | undefined,
): conversationV1.Reaction {
  return {
    emoji,
    actorKind: conversationV1.ActorKind.CUSTOMER,
    actorId: contactId ?? '',
    reactedAt: at,
  };
}

const ACTORS = {
  agent: conversationV1.ActorKind.AGENT,
  customer: conversationV1.ActorKind.CUSTOMER,
} as const;

const ACTIVITIES = {
  viewing: conversationV1.ActivityKind.VIEWING,
  typing: conversationV1.ActivityKind.TYPING,
  idle: conversationV1.ActivityKind.IDLE,
} as const;

/** `message` resolves the message or note an event added (for its payload). */
export function toProtoEvent(
  item: FeedItem,
  tenantId: string,
  message?: StoredMessage,
): conversationV1.ConversationEvent {
  if (item.kind === 'activity') {
    return {
      sequence: '0',
      conversationSequence: '0',
      conversationId: item.conversationId,
      occurredAt: item.occurredAt,
      conversation: snapshotToProto(
        tenantId,
        item.conversationId,
        item.snapshot,
        item.occurredAt,
        0,
      ),
      activity: {
        // Kept for clients older than `actor_kind`: empty when the customer is the actor.
        agentId: item.actor.kind === 'agent' ? item.actor.id : '',
        kind: ACTIVITIES[item.activity],
        actorKind: ACTORS[item.actor.kind],
        actorId: item.actor.id,
        isAssignee: item.actor.kind === 'agent' && item.isAssignee,
        lastReadMessageId: item.lastReadMessageId ?? '',
      },
    };
  }
  const event: LoggedEvent = item.event;
  const base: conversationV1.ConversationEvent = {
    sequence: String(event.cursor),
    conversationSequence: String(event.seq),
    conversationId: event.conversationId,
    occurredAt: event.occurredAt,
    conversation: snapshotToProto(
      tenantId,
      event.conversationId,
      event.snapshot,
      event.occurredAt,
      event.seq,
    ),
  };
  const data = event.data;
  switch (event.type) {
    case 'created':
      return { ...base, created: {} };
    case 'status_changed':
      return {
        ...base,
        statusChanged: {
          previousStatus: STATUSES[(data['previousStatus'] ?? 'open') as ConversationStatus] ?? 0,
          status: STATUSES[(data['status'] ?? 'open') as ConversationStatus] ?? 0,
        },
      };
    case 'assigned':
      return {
        ...base,
        assigned: {
          queueId: data['queueId'] ?? '',
          assigneeId: data['assigneeId'] ?? '',
          reason: data['reason'] ?? '',
        },
      };
    case 'message_added':
      return { ...base, messageAdded: message ? toProtoMessage(message) : undefined };
    case 'note_added':
      return { ...base, noteAdded: message ? toProtoMessage(message) : undefined };
    case 'tags_changed':
      return { ...base, tagsChanged: { tags: event.snapshot.tags } };
    case 'priority_changed':
      return { ...base, priorityChanged: { priority: PRIORITIES[event.snapshot.priority] } };
    case 'message_status_changed':
    case 'message_edited':
    case 'message_deleted':
    case 'message_reacted':
      return { ...base, messageUpdated: toProtoMessageUpdate(event, event.type, message) };
    case 'sla_breached':
      return {
        ...base,
        slaBreached: {
          target: data['target'] ?? '',
          dueAt: data['dueAt'] ? new Date(data['dueAt']) : undefined,
        },
      };
  }
}

type MessageUpdateType = Extract<
  LoggedEvent['type'],
  'message_status_changed' | 'message_edited' | 'message_deleted' | 'message_reacted'
>;

const MESSAGE_CHANGES: Record<MessageUpdateType, conversationV1.MessageChange> = {
  message_status_changed: conversationV1.MessageChange.DELIVERY_STATUS,
  message_edited: conversationV1.MessageChange.EDITED,
  message_deleted: conversationV1.MessageChange.DELETED,
  message_reacted: conversationV1.MessageChange.REACTION,
};

/**
 * What the event changed comes from the event's own data, so a replay shows each step (ticks
 * in order, every edit); the message itself is as it is now.
 */
function toProtoMessageUpdate(
  event: LoggedEvent,
  type: MessageUpdateType,
  message: StoredMessage | undefined,
): conversationV1.MessageUpdated {
  const data = event.data;
  const changedAt = data['changedAt'] ? new Date(data['changedAt']) : event.occurredAt;
  const update: conversationV1.MessageUpdated = {
    message: message ? toProtoMessage(message) : undefined,
    change: MESSAGE_CHANGES[type],
    changedAt,
    previousDeliveryStatus: '',
    deliveryStatus: '',
    deliveryErrorCode: '',
    deliveryErrorMessage: '',
    text: '',
  };
  switch (type) {
    case 'message_status_changed':
      return {
        ...update,
        changedAt: event.occurredAt,
        previousDeliveryStatus: data['previousStatus'] ?? '',
        deliveryStatus: data['status'] ?? '',
        deliveryErrorCode: data['errorCode'] ?? '',
        deliveryErrorMessage: data['errorMessage'] ?? '',
      };
    case 'message_edited':
      return { ...update, text: data['text'] ?? '' };
    case 'message_deleted':
      return update;
    case 'message_reacted':
      return {
        ...update,
        reaction: customerReaction(data['emoji'] ?? '', changedAt, event.actor.id),
      };
  }
}

export function toProtoContactMerge(merge: ContactMerge): conversationV1.ContactMerge {
  return {
    id: merge.id,
    sourceContactId: merge.mergedId,
    targetContactId: merge.survivorId,
    reason: merge.reason,
    mergedBy: merge.actorId,
    mergedAt: merge.mergedAt,
    revertedAt: merge.revertedAt,
    movedIdentities: merge.movedIdentities.map((identity) => ({
      kind: identity.kind,
      value: identity.value,
      verified: identity.verified,
    })),
  };
}
