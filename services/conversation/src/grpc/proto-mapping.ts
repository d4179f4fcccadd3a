import { commonV1, conversationV1 } from '@switchboard/contracts';
import type { Channel, ConversationSnapshot } from '@switchboard/events';
import type {
  Conversation,
  ConversationStatus,
  Priority,
} from '../conversations/conversation.model';
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
  };
}

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
      // The proto has no actor kind yet: an empty agent id is the customer (typing in the chat).
      activity: {
        agentId: item.actor.kind === 'agent' ? item.actor.id : '',
        kind: ACTIVITIES[item.activity],
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
      // The proto has no payloads of their own for these yet: the message comes again as it is
      // now (new `delivery_status`, edited text, emptied when deleted; reactions are not in the
      // proto). Its `conversation_sequence` (the event that added it) is lower than this event's,
      // which tells an update from an addition; UIs upsert messages by id.
      return { ...base, messageAdded: message ? toProtoMessage(message) : undefined };
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
