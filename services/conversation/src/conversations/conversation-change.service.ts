import type { Clock } from '../shared/clock';
import type { TenantId } from '../shared/tenant-id';
import type { ConversationRepository } from '../persistence/conversation.repository';
import { NotFoundError } from '@switchboard/grpc-kit';
import {
  type Conversation,
  type ConversationPatch,
  type EventDraft,
  planChange,
} from './conversation.model';
import type { EventOutbox } from './event-outbox';
import type { KeyedMutex } from '../shared/keyed-mutex';

/** What a use case decides from the current state: a patch and its events, or nothing to do. */
export type ChangeDecision =
  { patch: ConversationPatch; events: EventDraft[] } | { unchanged: true };

const MAX_ATTEMPTS = 20;

/**
 * The one way conversations change: read, decide (pure), write the state and its events in one
 * atomic update guarded by the sequence read, retry on a concurrent change, then flush the outbox.
 */
export class ConversationChanger {
  constructor(
    private readonly conversations: ConversationRepository,
    private readonly outbox: EventOutbox,
    private readonly clock: Clock,
    private readonly writes: KeyedMutex,
  ) {}

  async change(
    tenant: TenantId,
    conversationId: string,
    decide: (conversation: Conversation, now: Date) => ChangeDecision | Promise<ChangeDecision>,
  ): Promise<Conversation> {
    const result = await this.writes.run(conversationId, async () => {
      for (let attempt = 1; ; attempt += 1) {
        const current = await this.conversations.findById(tenant, conversationId);
        if (!current) throw new NotFoundError(`conversation ${conversationId} not found`);
        const now = this.clock.now();
        const decision = await decide(current, now);
        if ('unchanged' in decision) return current;
        const planned = planChange(current, decision.patch, decision.events, now);
        if (await this.conversations.commit(tenant, planned)) return planned.next;
        if (attempt >= MAX_ATTEMPTS) {
          throw new Error(`conversation ${conversationId} changed concurrently ${attempt} times`);
        }
      }
    });
    // Also after "unchanged": a redelivery after a crash finishes the previous attempt's flush.
    await this.outbox.flush(tenant, conversationId);
    return result;
  }
}
