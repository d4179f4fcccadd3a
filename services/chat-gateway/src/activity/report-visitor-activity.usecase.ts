import type { ConversationActivityEvent } from '@switchboard/events';
import { KafkaUnavailableError } from '@switchboard/kafka';
import type { ChatEventPublisher } from '../kafka/chat-event.publisher';
import type { VisitorSession } from '../sessions/visitor-session.store';
import { ChatError } from '../shared/chat-error';
import type { Clock } from '../shared/clock';
import type { ActivityThrottle } from './typing-throttle.store';

/** A typing signal older than this is stale for whoever shows it. */
export const TYPING_SIGNAL_TTL_MS = 10_000;
/** A read signal is a nudge for live agent UIs; the durable record is the `read` status. */
export const READ_SIGNAL_TTL_MS = 60_000;
/** At most one typing event (per state) per session in this window. */
export const TYPING_THROTTLE_MS = 2_000;

/**
 * The visitor's typing and reading, as customer activity on the conversation-activity topic.
 * The gateway knows the thread, not the conversation, so `conversationId` stays absent.
 * Typing is throttled per session and state, so a visitor hammering the keyboard (or a hostile
 * client) produces at most one "typing" and one "stopped" event per window.
 */
export class ReportVisitorActivityUseCase {
  constructor(
    private readonly publisher: ChatEventPublisher,
    private readonly throttle: ActivityThrottle,
    private readonly clock: Clock,
    /** Names this gateway process in `origin`. */
    private readonly origin: string,
  ) {}

  /** Resolves with whether an event went to Kafka (false: throttled). */
  async typing(session: VisitorSession, isTyping: boolean): Promise<boolean> {
    const subject = `typing:${session.tenantId}:${session.visitorId}:${isTyping ? 'on' : 'off'}`;
    if (!(await this.throttle.tryPass(subject, TYPING_THROTTLE_MS))) return false;
    await this.publish(this.event(session, isTyping ? 'typing' : 'idle', TYPING_SIGNAL_TTL_MS));
    return true;
  }

  /** The visitor saw agent replies up to `lastReadMessageId` (newly read ones only). */
  async read(session: VisitorSession, lastReadMessageId: string): Promise<void> {
    await this.publish({
      ...this.event(session, 'viewing', READ_SIGNAL_TTL_MS),
      lastReadMessageId,
    });
  }

  private event(
    session: VisitorSession,
    activity: ConversationActivityEvent['activity'],
    ttlMs: number,
  ): ConversationActivityEvent {
    const now = this.clock.now();
    return {
      schemaVersion: 1,
      tenantId: session.tenantId,
      channel: 'chat',
      threadKey: session.threadKey,
      actor: { kind: 'customer', id: session.visitorId, name: session.name ?? '' },
      isAssignee: false,
      activity,
      occurredAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
      origin: this.origin,
    };
  }

  private async publish(event: ConversationActivityEvent): Promise<void> {
    try {
      await this.publisher.publishActivity(event);
    } catch (error) {
      if (error instanceof KafkaUnavailableError) {
        throw new ChatError(
          'temporarily_unavailable',
          'activity not sent; Kafka is unavailable',
          true,
        );
      }
      throw error;
    }
  }
}
