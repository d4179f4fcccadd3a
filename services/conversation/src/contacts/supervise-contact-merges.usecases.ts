import {
  InvalidArgumentError,
  isSupervisor,
  isSystem,
  NotFoundError,
  PermissionDeniedError,
  type Principal,
} from '@switchboard/grpc-kit';
import { tenantOf } from '../agent-api/conversation-access';
import type { ContactMerge, ContactRepository } from '../persistence/contact.repository';
import type { TenantId } from '../shared/tenant-id';
import {
  MergeContactsCommand,
  type MergeContactsUseCase,
  type UnmergeContactsUseCase,
} from './merge-contacts.usecase';

/**
 * Merging contacts decides whose history every agent sees, so it is a supervisor's call. A
 * `system` token is refused whatever other roles it carries (it is read-only, see
 * loadWritableConversation). Roles are checked before any id, so a refusal says nothing about
 * which contacts exist.
 */
function supervisorTenantOf(principal: Principal): TenantId {
  if (isSystem(principal)) {
    throw new PermissionDeniedError(
      'the system role may not merge, unmerge or list contact merges',
    );
  }
  if (!isSupervisor(principal)) {
    throw new PermissionDeniedError('only supervisors merge, unmerge or list contact merges');
  }
  return tenantOf(principal);
}

export interface MergeContactsRequest {
  sourceContactId: string;
  targetContactId: string;
  reason: string;
}

/** MergeContacts over the API: the source contact is merged into the target. */
export class SupervisorMergeContactsUseCase {
  constructor(
    private readonly contacts: ContactRepository,
    private readonly merge: MergeContactsUseCase,
  ) {}

  async execute(principal: Principal, request: MergeContactsRequest): Promise<ContactMerge> {
    const tenant = supervisorTenantOf(principal);
    const mergeId = await this.merge.execute(
      new MergeContactsCommand(
        tenant,
        request.targetContactId,
        request.sourceContactId,
        request.reason,
        principal.agentId,
      ),
    );
    return requireMerge(this.contacts, tenant, mergeId);
  }
}

/** UnmergeContacts over the API; answers with the merge as it is afterwards. */
export class SupervisorUnmergeContactsUseCase {
  constructor(
    private readonly contacts: ContactRepository,
    private readonly unmerge: UnmergeContactsUseCase,
  ) {}

  async execute(principal: Principal, mergeId: string): Promise<ContactMerge> {
    const tenant = supervisorTenantOf(principal);
    if (!mergeId) throw new InvalidArgumentError('merge_id', 'is required');
    await this.unmerge.execute(tenant, mergeId);
    return requireMerge(this.contacts, tenant, mergeId);
  }
}

/** The merges one contact of the caller's tenant took part in; NOT_FOUND for unknown contacts. */
export class ListContactMergesUseCase {
  constructor(private readonly contacts: ContactRepository) {}

  async execute(principal: Principal, contactId: string): Promise<ContactMerge[]> {
    const tenant = supervisorTenantOf(principal);
    if (!contactId) throw new InvalidArgumentError('contact_id', 'is required');
    if (!(await this.contacts.findContact(tenant, contactId))) {
      throw new NotFoundError(`contact ${contactId} not found`);
    }
    return this.contacts.listMerges(tenant, contactId);
  }
}

async function requireMerge(
  contacts: ContactRepository,
  tenant: TenantId,
  mergeId: string,
): Promise<ContactMerge> {
  const merge = await contacts.findMerge(tenant, mergeId);
  if (!merge) throw new NotFoundError(`merge ${mergeId} not found`);
  return merge;
}
