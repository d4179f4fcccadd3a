import { isSupervisor, NotFoundError, type Principal } from '@switchboard/grpc-kit';
import type { Conversation } from '../conversations/conversation.model';
import type { ConversationRepository } from '../persistence/conversation.repository';
import { asTenantId, type TenantId } from '../shared/tenant-id';

/** The tenant comes only from the verified token, never from a request. */
export const tenantOf = (principal: Principal): TenantId => asTenantId(principal.tenantId);

/** Agents see what is assigned to them and what is in their queues; supervisors see everything. */
export function canSee(principal: Principal, conversation: Conversation): boolean {
  if (conversation.tenantId !== principal.tenantId) return false;
  if (isSupervisor(principal)) return true;
  return (
    conversation.assigneeId === principal.agentId ||
    (conversation.queueId !== undefined && principal.queueIds.includes(conversation.queueId))
  );
}

/** NOT_FOUND both for missing ids and for ids the caller may not see: no existence leak. */
export async function loadVisibleConversation(
  repository: ConversationRepository,
  principal: Principal,
  conversationId: string,
): Promise<Conversation> {
  const conversation = await repository.findById(tenantOf(principal), conversationId);
  if (!conversation || !canSee(principal, conversation)) {
    throw new NotFoundError(`conversation ${conversationId} not found`);
  }
  return conversation;
}

export { snapshotOf as snapshotOfVisible } from '../conversations/conversation.model';
