import type { Metadata } from '@grpc/grpc-js';
import { Controller, Inject, UseFilters } from '@nestjs/common';
import { conversationV1 } from '@switchboard/contracts';
import {
  GrpcErrorFilter,
  InvalidArgumentError,
  JwtAuthenticator,
  type Principal,
} from '@switchboard/grpc-kit';
import { Observable } from 'rxjs';
import {
  AddNoteCommand,
  AssignCommand,
  SendMessageCommand,
  SetPriorityCommand,
  SetTagsCommand,
  SnoozeCommand,
  StatusCommand,
} from '../agent-api/agent-commands';
import { tenantOf } from '../agent-api/conversation-access';
import type { ConversationCore } from '../conversations/conversation-core';
import type { Conversation } from '../conversations/conversation.model';
import type { LoggedEvent } from '../persistence/event-log.repository';
import { SetActivityCommand } from '../watch/set-activity.usecase';
import { WatchEventsCommand, type WatchScope } from '../watch/watch-events.usecase';
import {
  channelFromProto,
  priorityFromProto,
  statusFromProto,
  toProtoContactMerge,
  toProtoConversation,
  toProtoEvent,
  toProtoMessage,
} from './proto-mapping';

export const CONVERSATION_CORE = Symbol('CONVERSATION_CORE');
export const JWT_AUTHENTICATOR = Symbol('JWT_AUTHENTICATOR');

const one = (conversation: Conversation) => ({ conversation: toProtoConversation(conversation) });

/**
 * gRPC transport of the agent API: authenticate, map the request to a command (which validates
 * itself), run the use case, map the result. No decisions are made here.
 */
@Controller()
@conversationV1.ConversationServiceControllerMethods()
@UseFilters(new GrpcErrorFilter())
export class ConversationGrpcController implements conversationV1.ConversationServiceController {
  constructor(
    @Inject(CONVERSATION_CORE) private readonly core: ConversationCore,
    @Inject(JWT_AUTHENTICATOR) private readonly auth: JwtAuthenticator,
  ) {}

  private principal(metadata: Metadata | undefined): Promise<Principal> {
    return this.auth.authenticate(metadata);
  }

  async getConversation(request: conversationV1.GetConversationRequest, metadata?: Metadata) {
    const principal = await this.principal(metadata);
    return one(await this.core.getConversation.execute(principal, request.conversationId));
  }

  async listConversations(request: conversationV1.ListConversationsRequest, metadata?: Metadata) {
    const principal = await this.principal(metadata);
    const statuses = (request.statuses ?? []).map((value, index) => {
      const status = statusFromProto(value);
      if (!status) throw new InvalidArgumentError(`statuses[${index}]`, 'is not a known status');
      return status;
    });
    const channel = request.channel ? channelFromProto(request.channel) : undefined;
    if (request.channel && !channel)
      throw new InvalidArgumentError('channel', 'is not a known channel');
    const result = await this.core.listConversations.execute(principal, {
      filter: {
        statuses,
        queueId: request.queueId || undefined,
        assigneeId: request.assigneeId || undefined,
        channel,
        tag: request.tag || undefined,
        contactId: request.contactId || undefined,
        updatedSince: request.updatedSince ?? undefined,
      },
      pageSize: request.page?.pageSize ?? 0,
      pageToken: request.page?.pageToken ?? '',
    });
    return {
      conversations: result.conversations.map(toProtoConversation),
      page: { nextPageToken: result.nextPageToken },
    };
  }

  async getContactHistory(request: conversationV1.GetContactHistoryRequest, metadata?: Metadata) {
    const principal = await this.principal(metadata);
    const conversations = await this.core.getContactHistory.execute(principal, request.contactId);
    return { conversations: conversations.map(toProtoConversation) };
  }

  async listMessages(request: conversationV1.ListMessagesRequest, metadata?: Metadata) {
    const principal = await this.principal(metadata);
    const messages = await this.core.listMessages.execute(principal, request.conversationId);
    return { messages: messages.map(toProtoMessage) };
  }

  async sendMessage(request: conversationV1.SendMessageRequest, metadata?: Metadata) {
    const principal = await this.principal(metadata);
    const message = await this.core.sendMessage.execute(
      new SendMessageCommand(
        principal,
        request.conversationId,
        request.clientRequestId,
        request.text,
        request.html || undefined,
      ),
    );
    return { message: toProtoMessage(message) };
  }

  async addNote(request: conversationV1.AddNoteRequest, metadata?: Metadata) {
    const principal = await this.principal(metadata);
    const note = await this.core.addNote.execute(
      new AddNoteCommand(principal, request.conversationId, request.clientRequestId, request.text),
    );
    return { note: toProtoMessage(note) };
  }

  async setTags(request: conversationV1.SetTagsRequest, metadata?: Metadata) {
    const principal = await this.principal(metadata);
    return one(
      await this.core.setTags.execute(
        new SetTagsCommand(principal, request.conversationId, request.tags ?? []),
      ),
    );
  }

  async setPriority(request: conversationV1.SetPriorityRequest, metadata?: Metadata) {
    const principal = await this.principal(metadata);
    return one(
      await this.core.setPriority.execute(
        new SetPriorityCommand(
          principal,
          request.conversationId,
          priorityFromProto(request.priority),
        ),
      ),
    );
  }

  async assign(request: conversationV1.AssignRequest, metadata?: Metadata) {
    const principal = await this.principal(metadata);
    return one(
      await this.core.assign.execute(
        new AssignCommand(
          principal,
          request.conversationId,
          request.assigneeId || undefined,
          request.queueId || undefined,
          request.reason,
        ),
      ),
    );
  }

  async resolve(request: conversationV1.ResolveRequest, metadata?: Metadata) {
    const principal = await this.principal(metadata);
    return one(
      await this.core.resolve.execute(new StatusCommand(principal, request.conversationId)),
    );
  }

  async reopen(request: conversationV1.ReopenRequest, metadata?: Metadata) {
    const principal = await this.principal(metadata);
    return one(
      await this.core.reopen.execute(new StatusCommand(principal, request.conversationId)),
    );
  }

  async snooze(request: conversationV1.SnoozeRequest, metadata?: Metadata) {
    const principal = await this.principal(metadata);
    return one(
      await this.core.snooze.execute(
        new SnoozeCommand(
          principal,
          request.conversationId,
          request.until ?? undefined,
          this.core.clock.now(),
        ),
      ),
    );
  }

  async setActivity(request: conversationV1.SetActivityRequest, metadata?: Metadata) {
    const principal = await this.principal(metadata);
    const kinds = {
      [conversationV1.ActivityKind.VIEWING]: 'viewing',
      [conversationV1.ActivityKind.TYPING]: 'typing',
      [conversationV1.ActivityKind.IDLE]: 'idle',
    } as const;
    const kind = kinds[request.kind as keyof typeof kinds] as
      (typeof kinds)[keyof typeof kinds] | undefined;
    await this.core.setActivity.execute(
      new SetActivityCommand(principal, request.conversationId, kind),
    );
    return {};
  }

  async mergeContacts(request: conversationV1.MergeContactsRequest, metadata?: Metadata) {
    const principal = await this.principal(metadata);
    const merge = await this.core.supervisorMergeContacts.execute(principal, {
      sourceContactId: request.sourceContactId,
      targetContactId: request.targetContactId,
      reason: request.reason,
    });
    return { merge: toProtoContactMerge(merge) };
  }

  async unmergeContacts(request: conversationV1.UnmergeContactsRequest, metadata?: Metadata) {
    const principal = await this.principal(metadata);
    const merge = await this.core.supervisorUnmergeContacts.execute(principal, request.mergeId);
    return { merge: toProtoContactMerge(merge) };
  }

  async listContactMerges(request: conversationV1.ListContactMergesRequest, metadata?: Metadata) {
    const principal = await this.principal(metadata);
    const merges = await this.core.listContactMerges.execute(principal, request.contactId);
    return { merges: merges.map(toProtoContactMerge) };
  }

  watchEvents(
    request: conversationV1.WatchEventsRequest,
    metadata?: Metadata,
  ): Observable<conversationV1.WatchEventsResponse> {
    return new Observable<conversationV1.WatchEventsResponse>((subscriber) => {
      let closed = false;
      let close: (() => void) | undefined;
      // Events are written in order; message payloads are looked up, so writes are chained.
      let chain = Promise.resolve();
      const start = async () => {
        const principal = await this.principal(metadata);
        const command = new WatchEventsCommand(
          principal,
          scopeOf(request),
          Number(request.resumeAfterSequence ?? 0),
        );
        const tenant = tenantOf(principal);
        const subscription = await this.core.watchEvents.execute(command, (item) => {
          chain = chain
            .then(async () => {
              const messageId = item.kind === 'event' ? messageIdOf(item.event) : undefined;
              const message = messageId
                ? await this.core.repositories.messages.findById(tenant, messageId)
                : undefined;
              if (!closed) subscriber.next({ event: toProtoEvent(item, tenant, message) });
            })
            .catch((error: unknown) => subscriber.error(error));
        });
        if (closed) subscription.close();
        else close = () => subscription.close();
      };
      // Mapped to a status code by GrpcErrorFilter, like errors of unary calls.
      start().catch((error: unknown) => subscriber.error(error));
      return () => {
        closed = true;
        close?.();
      };
    });
  }
}

/** The message an event carries: the one it added, or the one whose status or content changed. */
function messageIdOf(event: LoggedEvent): string | undefined {
  return MESSAGE_CHANGES.has(event.type) ? event.data['messageId'] : event.messageId;
}

const MESSAGE_CHANGES: ReadonlySet<LoggedEvent['type']> = new Set([
  'message_status_changed',
  'message_edited',
  'message_deleted',
  'message_reacted',
] as const);

function scopeOf(request: conversationV1.WatchEventsRequest): WatchScope | undefined {
  if (request.myAssignments) return { kind: 'my_assignments' };
  if (request.tenant) return { kind: 'tenant' };
  if (request.queueId) return { kind: 'queue', queueId: request.queueId };
  if (request.conversationId)
    return { kind: 'conversation', conversationId: request.conversationId };
  return undefined;
}
