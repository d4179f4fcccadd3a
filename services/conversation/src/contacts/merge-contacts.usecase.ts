import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
} from '@switchboard/grpc-kit';
import type { ContactIdentity, ContactRepository } from '../persistence/contact.repository';
import type { Clock } from '../shared/clock';
import { deterministicId } from '../shared/ids';
import type { TenantId } from '../shared/tenant-id';

/** Runs tasks one at a time per key: across replicas in production (LeaseLock). */
export interface OneAtATime {
  run<T>(key: string, task: () => Promise<T>): Promise<T>;
}

export class MergeContactsCommand {
  constructor(
    readonly tenant: TenantId,
    readonly survivorId: string,
    readonly mergedId: string,
    readonly reason: string,
    readonly actorId: string,
  ) {
    // Field names as in MergeContactsRequest: the survivor is the target, the merged the source.
    if (!mergedId) throw new InvalidArgumentError('source_contact_id', 'is required');
    if (!survivorId) throw new InvalidArgumentError('target_contact_id', 'is required');
    if (survivorId === mergedId) {
      throw new InvalidArgumentError('target_contact_id', 'must differ from source_contact_id');
    }
    if (!reason.trim()) throw new InvalidArgumentError('reason', 'is required');
  }
}

/**
 * Merges one contact into another: its identities move to the survivor and it points at the
 * survivor, so its conversations show up in the survivor's history. Two contacts that each hold a
 * different verified identifier of the same kind are different people and are never merged.
 * Every merge is recorded and can be reverted (UnmergeContactsUseCase).
 *
 * Merges and unmerges of one tenant run one at a time across replicas (`contactChanges`, a
 * LeaseLock shared with UnmergeContactsUseCase): each checks the contacts' state and then writes
 * several documents, so two crossing merges (A into B and B into A) would otherwise both pass
 * their checks and leave each contact pointing at the other. Merges are rare supervisor actions;
 * serialising them costs nothing.
 */
export class MergeContactsUseCase {
  constructor(
    private readonly contacts: ContactRepository,
    private readonly clock: Clock,
    private readonly contactChanges: OneAtATime,
  ) {}

  execute(command: MergeContactsCommand): Promise<string> {
    return this.contactChanges.run(`contacts:${command.tenant}`, () => this.merge(command));
  }

  private async merge(command: MergeContactsCommand): Promise<string> {
    const { tenant } = command;
    const [survivor, merged] = await Promise.all([
      this.contacts.findContact(tenant, command.survivorId),
      this.contacts.findContact(tenant, command.mergedId),
    ]);
    if (!survivor) throw new NotFoundError(`contact ${command.survivorId} not found`);
    if (!merged) throw new NotFoundError(`contact ${command.mergedId} not found`);
    if (survivor.mergedInto || merged.mergedInto) {
      throw new FailedPreconditionError(
        'a contact that was merged away cannot take part in a merge',
      );
    }
    const [survivorIdentities, mergedIdentities] = await Promise.all([
      this.contacts.identitiesOf(tenant, survivor.id),
      this.contacts.identitiesOf(tenant, merged.id),
    ]);
    const conflict = conflictingVerifiedIdentity(survivorIdentities, mergedIdentities);
    if (conflict) {
      throw new FailedPreconditionError(
        `both contacts have a different verified ${conflict}; they are never merged`,
      );
    }
    const now = this.clock.now();
    const mergeId = deterministicId('merge', tenant, survivor.id, merged.id, now.toISOString());
    // The record first: if we crash half-way, it says what to finish or revert.
    await this.contacts.recordMerge({
      id: mergeId,
      tenantId: tenant,
      survivorId: survivor.id,
      mergedId: merged.id,
      reason: command.reason,
      actorId: command.actorId,
      movedIdentities: mergedIdentities,
      mergedAt: now,
    });
    await this.contacts.moveIdentities(tenant, merged.id, survivor.id, mergedIdentities);
    await this.contacts.setMergedInto(tenant, merged.id, survivor.id);
    return mergeId;
  }
}

function conflictingVerifiedIdentity(
  a: readonly ContactIdentity[],
  b: readonly ContactIdentity[],
): string | undefined {
  for (const left of a.filter((identity) => identity.verified)) {
    const clash = b.find(
      (right) => right.verified && right.kind === left.kind && right.value !== left.value,
    );
    if (clash) return left.kind;
  }
  return undefined;
}

/** Reverts a merge: the identities that moved go back and the merged contact stands alone again. */
export class UnmergeContactsUseCase {
  constructor(
    private readonly contacts: ContactRepository,
    private readonly clock: Clock,
    private readonly contactChanges: OneAtATime,
  ) {}

  execute(tenant: TenantId, mergeId: string): Promise<void> {
    return this.contactChanges.run(`contacts:${tenant}`, () => this.unmerge(tenant, mergeId));
  }

  private async unmerge(tenant: TenantId, mergeId: string): Promise<void> {
    const merge = await this.contacts.findMerge(tenant, mergeId);
    if (!merge) throw new NotFoundError(`merge ${mergeId} not found`);
    if (merge.revertedAt) return;
    // Once the survivor itself was merged on, the identities live with a third contact: that
    // merge has to be reverted first, or they would stay there while this one claims them back.
    const survivor = await this.contacts.findContact(tenant, merge.survivorId);
    if (survivor?.mergedInto) {
      throw new FailedPreconditionError(
        `contact ${merge.survivorId} was merged into ${survivor.mergedInto} since; unmerge that first`,
      );
    }
    await this.contacts.moveIdentities(
      tenant,
      merge.survivorId,
      merge.mergedId,
      merge.movedIdentities,
    );
    await this.contacts.setMergedInto(tenant, merge.mergedId, undefined);
    await this.contacts.markMergeReverted(tenant, mergeId, this.clock.now());
  }
}
