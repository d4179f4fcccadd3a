import { InvalidArgumentError, type Principal } from '@switchboard/grpc-kit';
import { PRIORITIES } from '@switchboard/events';
import type { Priority } from '../conversations/conversation.model';

/** Self-validating commands of the agent API: a bad field fails with INVALID_ARGUMENT naming it. */

const MAX_ID = 200;
const MAX_TEXT = 100_000;
const MAX_TAGS = 50;
const TAG_PATTERN = /^[\p{L}\p{N}_:-][\p{L}\p{N} _:.-]{0,63}$/u;

export function requireId(field: string, value: string): string {
  if (!value) throw new InvalidArgumentError(field, 'is required');
  if (value.length > MAX_ID) throw new InvalidArgumentError(field, `is longer than ${MAX_ID}`);
  return value;
}

abstract class ConversationCommand {
  protected constructor(
    readonly principal: Principal,
    readonly conversationId: string,
  ) {
    requireId('conversation_id', conversationId);
  }
}

export class SendMessageCommand extends ConversationCommand {
  constructor(
    principal: Principal,
    conversationId: string,
    readonly clientRequestId: string,
    readonly text: string,
    readonly html: string | undefined,
  ) {
    super(principal, conversationId);
    requireId('client_request_id', clientRequestId);
    if (!text.trim() && !html?.trim()) throw new InvalidArgumentError('text', 'is required');
    if (text.length > MAX_TEXT)
      throw new InvalidArgumentError('text', `is longer than ${MAX_TEXT}`);
    if ((html?.length ?? 0) > MAX_TEXT) {
      throw new InvalidArgumentError('html', `is longer than ${MAX_TEXT}`);
    }
  }
}

export class AddNoteCommand extends ConversationCommand {
  constructor(
    principal: Principal,
    conversationId: string,
    readonly clientRequestId: string,
    readonly text: string,
  ) {
    super(principal, conversationId);
    requireId('client_request_id', clientRequestId);
    if (!text.trim()) throw new InvalidArgumentError('text', 'is required');
    if (text.length > MAX_TEXT)
      throw new InvalidArgumentError('text', `is longer than ${MAX_TEXT}`);
  }
}

export class SetTagsCommand extends ConversationCommand {
  readonly tags: string[];
  constructor(principal: Principal, conversationId: string, tags: readonly string[]) {
    super(principal, conversationId);
    if (tags.length > MAX_TAGS) throw new InvalidArgumentError('tags', `at most ${MAX_TAGS}`);
    for (const tag of tags) {
      if (!TAG_PATTERN.test(tag)) {
        throw new InvalidArgumentError('tags', `"${tag.slice(0, 70)}" is not a valid tag`);
      }
    }
    this.tags = [...new Set(tags)];
  }
}

export class SetPriorityCommand extends ConversationCommand {
  constructor(
    principal: Principal,
    conversationId: string,
    readonly priority: Priority | undefined,
  ) {
    super(principal, conversationId);
    if (!priority || !PRIORITIES.includes(priority)) {
      throw new InvalidArgumentError('priority', 'must be LOW, NORMAL, HIGH or URGENT');
    }
  }
}

export class AssignCommand extends ConversationCommand {
  constructor(
    principal: Principal,
    conversationId: string,
    readonly assigneeId: string | undefined,
    readonly queueId: string | undefined,
    readonly reason: string,
  ) {
    super(principal, conversationId);
    if (!assigneeId && !queueId) {
      throw new InvalidArgumentError('assignee_id', 'or queue_id is required');
    }
    if (assigneeId) requireId('assignee_id', assigneeId);
    if (queueId) requireId('queue_id', queueId);
    if (!reason.trim()) throw new InvalidArgumentError('reason', 'is required');
  }
}

export class StatusCommand extends ConversationCommand {
  constructor(principal: Principal, conversationId: string) {
    super(principal, conversationId);
  }
}

export class SnoozeCommand extends ConversationCommand {
  constructor(
    principal: Principal,
    conversationId: string,
    readonly until: Date | undefined,
    now: Date,
  ) {
    super(principal, conversationId);
    if (!until || Number.isNaN(until.getTime()))
      throw new InvalidArgumentError('until', 'is required');
    if (until.getTime() <= now.getTime())
      throw new InvalidArgumentError('until', 'must be in the future');
  }
}
