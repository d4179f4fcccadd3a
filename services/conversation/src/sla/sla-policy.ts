import type { Channel } from '@switchboard/events';
import type { Conversation, Priority, SlaClocks } from '../conversations/conversation.model';

export interface SlaTargets {
  firstResponseMs: number;
  nextResponseMs: number;
  resolutionMs: number;
}

export type ChannelFamily = 'email' | 'chat' | 'social';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * Defaults by channel: chat customers wait on the page, email and social customers do not.
 * First response as the issue asks; next response and resolution are our choice: a chat
 * conversation is one sitting (2 min between answers, solved within the hour), email and social
 * threads run over a working day (4 h / 2 h between answers, solved within 24 h).
 */
export const DEFAULT_SLA_TARGETS: Record<ChannelFamily, SlaTargets> = {
  email: { firstResponseMs: HOUR, nextResponseMs: 4 * HOUR, resolutionMs: 24 * HOUR },
  chat: { firstResponseMs: MINUTE, nextResponseMs: 2 * MINUTE, resolutionMs: HOUR },
  social: { firstResponseMs: HOUR, nextResponseMs: 2 * HOUR, resolutionMs: 24 * HOUR },
};

export function channelFamilyOf(channel: Channel): ChannelFamily {
  if (channel === 'email') return 'email';
  if (channel === 'chat') return 'chat';
  return 'social';
}

/** An override of a tenant's targets, optionally only for one queue and/or one priority. */
export interface SlaRule {
  tenantId: string;
  queueId?: string;
  priority?: Priority;
  /** Only the targets named here are overridden; the others come from less specific levels. */
  targets: Partial<SlaTargets>;
}

export interface SlaContext {
  tenantId: string;
  channel: Channel;
  queueId?: string;
  priority: Priority;
}

/**
 * Targets for a conversation, most specific first: tenant + queue + priority, tenant + queue,
 * tenant + priority, tenant, then the channel's default. Each target is taken from the most
 * specific level that names it.
 */
export class SlaPolicy {
  constructor(
    private readonly rules: readonly SlaRule[] = [],
    private readonly defaults: Record<ChannelFamily, SlaTargets> = DEFAULT_SLA_TARGETS,
  ) {}

  targetsFor(context: SlaContext): SlaTargets {
    const matching = this.rules
      .filter(
        (rule) =>
          rule.tenantId === context.tenantId &&
          (rule.queueId === undefined || rule.queueId === context.queueId) &&
          (rule.priority === undefined || rule.priority === context.priority),
      )
      .sort((a, b) => precedence(a) - precedence(b));
    return matching.reduce<SlaTargets>((targets, rule) => ({ ...targets, ...rule.targets }), {
      ...this.defaults[channelFamilyOf(context.channel)],
    });
  }

  /** The conversation's clocks once it moves to another queue or priority (see retimeSlaClocks). */
  clocksAfterMove(
    conversation: Conversation,
    queueId: string | undefined,
    priority: Priority,
  ): SlaClocks {
    const context = { tenantId: conversation.tenantId, channel: conversation.channel };
    return retimeSlaClocks(
      conversation.sla,
      this.targetsFor({
        ...context,
        queueId: conversation.queueId,
        priority: conversation.priority,
      }),
      this.targetsFor({ ...context, queueId, priority }),
    );
  }
}

/** Higher wins; a queue is more specific than a priority (queues are configured per team). */
function precedence(rule: SlaRule): number {
  return (rule.queueId === undefined ? 0 : 2) + (rule.priority === undefined ? 0 : 1);
}

/**
 * Moves running clocks when a conversation's targets change (a new queue or priority): each due
 * time keeps its start and takes the new target. Stopped or breached clocks stay as they are.
 */
export function retimeSlaClocks(sla: SlaClocks, before: SlaTargets, after: SlaTargets): SlaClocks {
  const shift = (due: Date | undefined, from: number, to: number) =>
    due === undefined ? undefined : new Date(due.getTime() - from + to);
  return {
    ...sla,
    firstResponseDueAt: shift(
      sla.firstResponseDueAt,
      before.firstResponseMs,
      after.firstResponseMs,
    ),
    nextResponseDueAt: shift(sla.nextResponseDueAt, before.nextResponseMs, after.nextResponseMs),
    resolutionDueAt: shift(sla.resolutionDueAt, before.resolutionMs, after.resolutionMs),
  };
}
