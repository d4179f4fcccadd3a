import {
  isSupervisor,
  isSystem,
  NotFoundError,
  PermissionDeniedError,
  type Principal,
} from '@switchboard/grpc-kit';
import type { Conversation } from '../conversations/conversation.model';
import type { ConversationRepository } from '../persistence/conversation.repository';
import { asTenantId, type TenantId } from '../shared/tenant-id';

/** The tenant comes only from the verified token, never from a request. */
export const tenantOf = (principal: Principal): TenantId => asTenantId(principal.tenantId);

/**
 * Supervisors, and services acting for the tenant (the chat gateway loading a visitor's history),
 * read every conversation of their own tenant.
 */
export function seesWholeTenant(principal: Principal): boolean {
  return isSupervisor(principal) || isSystem(principal);
}

/** Agents see what is assigned to them and what is in their queues; supervisors see everything. */
export function canSee(principal: Principal, conversation: Conversation): boolean {
  if (conversation.tenantId !== principal.tenantId) return false;
  if (seesWholeTenant(principal)) return true;
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

/**
 * Loads a conversation the caller is about to change. A `system` token is read-only whatever
 * other roles it carries: a leaked gateway token must not be able to answer customers or move
 * work. The role is checked before the id, so the refusal says nothing about which ids exist.
 */
export async function loadWritableConversation(
  repository: ConversationRepository,
  principal: Principal,
  conversationId: string,
): Promise<Conversation> {
  if (isSystem(principal)) {
    throw new PermissionDeniedError('the system role may read conversations but not change them');
  }
  return loadVisibleConversation(repository, principal, conversationId);
}

export { snapshotOf as snapshotOfVisible } from '../conversations/conversation.model';
