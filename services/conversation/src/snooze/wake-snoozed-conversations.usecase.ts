import type { ConversationChanger } from '../conversations/conversation-change.service';
import type { ConversationRepository } from '../persistence/conversation.repository';
import type { Clock } from '../shared/clock';

/**
 * Reopens conversations whose snooze time has passed. Safe with several replicas: the change is
 * a conditional update on the conversation's sequence, so when two replicas claim the same
 * conversation one wins and the other re-reads it, finds it open and does nothing.
 */
export class WakeSnoozedConversationsUseCase {
  constructor(
    private readonly conversations: ConversationRepository,
    private readonly changer: ConversationChanger,
    private readonly clock: Clock,
  ) {}

  /** Returns how many conversations this call woke. */
  async execute(batchSize = 100): Promise<number> {
    const due = await this.conversations.findSnoozedDue(this.clock.now(), batchSize);
    let woken = 0;
    for (const { tenantId, id } of due) {
      await this.changer.change(tenantId, id, (current, now) => {
        if (current.status !== 'snoozed' || !current.snoozedUntil || current.snoozedUntil > now) {
          return { unchanged: true };
        }
        woken += 1;
        return {
          patch: { status: 'open', snoozedUntil: undefined },
          events: [
            {
              type: 'status_changed',
              actor: { kind: 'system', id: 'snooze' },
              triggersRouting: true,
              data: { previousStatus: 'snoozed', status: 'open', reason: 'snooze_ended' },
            },
          ],
        };
      });
    }
    return woken;
  }
}
