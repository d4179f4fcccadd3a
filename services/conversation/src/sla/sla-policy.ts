import type { Channel } from '@switchboard/events';
import type { Priority } from '../conversations/conversation.model';

export interface SlaTargets {
  firstResponseMs: number;
  nextResponseMs: number;
  resolutionMs: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Defaults by channel: chat customers wait on the page, email and social customers do not. */
export const DEFAULT_SLA_TARGETS: Record<'email' | 'chat' | 'social', SlaTargets> = {
  email: { firstResponseMs: HOUR, nextResponseMs: 4 * HOUR, resolutionMs: 24 * HOUR },
  chat: { firstResponseMs: MINUTE, nextResponseMs: 2 * MINUTE, resolutionMs: HOUR },
  social: { firstResponseMs: HOUR, nextResponseMs: 2 * HOUR, resolutionMs: 24 * HOUR },
};

/** A rule overrides the targets it names; the most specific matching rule wins. */
export interface SlaRule {
  tenantId?: string;
  queueId?: string;
  priority?: Priority;
  channel?: Channel;
  targets: Partial<SlaTargets>;
}

export interface SlaContext {
  tenantId: string;
  channel: Channel;
  queueId?: string;
  priority: Priority;
}

export class SlaPolicy {
  constructor(private readonly rules: readonly SlaRule[] = []) {}

  targetsFor(context: SlaContext): SlaTargets {
    const family =
      context.channel === 'email' ? 'email' : context.channel === 'chat' ? 'chat' : 'social';
    const matching = this.rules
      .filter(
        (rule) =>
          (rule.tenantId === undefined || rule.tenantId === context.tenantId) &&
          (rule.queueId === undefined || rule.queueId === context.queueId) &&
          (rule.priority === undefined || rule.priority === context.priority) &&
          (rule.channel === undefined || rule.channel === context.channel),
      )
      .sort((a, b) => specificity(a) - specificity(b));
    return matching.reduce<SlaTargets>((targets, rule) => ({ ...targets, ...rule.targets }), {
      ...DEFAULT_SLA_TARGETS[family],
    });
  }
}

function specificity(rule: SlaRule): number {
  return [rule.tenantId, rule.queueId, rule.priority, rule.channel].filter((v) => v !== undefined)
    .length;
}

export const SLA_POLICY = Symbol('SLA_POLICY');
