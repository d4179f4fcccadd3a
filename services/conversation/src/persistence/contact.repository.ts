import type { SenderIdentity } from '@switchboard/events';
import { DuplicateKeyError, translateDuplicateKey } from '@switchboard/mongo';
import { deterministicId } from '../shared/ids';
import type { TenantId } from '../shared/tenant-id';
import type { ConversationModels } from './conversation.schemas';

export type IdentityKind = SenderIdentity['kind'];

export interface ContactIdentity {
  kind: IdentityKind;
  value: string;
  verified: boolean;
  contactId: string;
}

export interface Contact {
  id: string;
  tenantId: TenantId;
  displayName?: string;
  mergedInto?: string;
  createdAt: Date;
}

export interface ContactMerge {
  id: string;
  tenantId: TenantId;
  survivorId: string;
  mergedId: string;
  reason: string;
  actorId: string;
  /** The identities that moved to the survivor: exactly what an unmerge moves back. */
  movedIdentities: ContactIdentity[];
  mergedAt: Date;
  revertedAt?: Date;
}

export interface ContactRepository {
  findIdentity(
    tenant: TenantId,
    kind: IdentityKind,
    value: string,
  ): Promise<ContactIdentity | undefined>;
  /** Links the identity to `contactId` unless it is linked already; returns the stored link. */
  linkIdentityOnce(tenant: TenantId, identity: ContactIdentity, at: Date): Promise<ContactIdentity>;
  /** Creates the contact unless it exists (idempotent by id). */
  createIfAbsent(contact: Contact): Promise<void>;
  findContact(tenant: TenantId, id: string): Promise<Contact | undefined>;
  identitiesOf(tenant: TenantId, contactId: string): Promise<ContactIdentity[]>;
  moveIdentities(
    tenant: TenantId,
    fromContactId: string,
    toContactId: string,
    values: ContactIdentity[],
  ): Promise<void>;
  setMergedInto(tenant: TenantId, contactId: string, survivorId: string | undefined): Promise<void>;
  recordMerge(merge: ContactMerge): Promise<void>;
  findMerge(tenant: TenantId, id: string): Promise<ContactMerge | undefined>;
  /** Merges the contact took part in, as survivor or as the merged one; newest first. */
  listMerges(tenant: TenantId, contactId: string): Promise<ContactMerge[]>;
  markMergeReverted(tenant: TenantId, id: string, at: Date): Promise<boolean>;
  /** The contact and every contact merged into it (transitively). */
  mergedFamily(tenant: TenantId, contactId: string): Promise<string[]>;
}

export const identityId = (tenant: TenantId, kind: IdentityKind, value: string): string =>
  deterministicId('cid', tenant, kind, normaliseIdentityValue(kind, value));

/** Email addresses compare case-insensitively; other identifiers exactly. */
export function normaliseIdentityValue(kind: IdentityKind, value: string): string {
  return kind === 'email' ? value.trim().toLowerCase() : value.trim();
}

interface IdentityDocument {
  _id: string;
  tenantId: string;
  kind: IdentityKind;
  value: string;
  verified: boolean;
  contactId: string;
}

const toIdentity = (doc: IdentityDocument): ContactIdentity => ({
  kind: doc.kind,
  value: doc.value,
  verified: doc.verified,
  contactId: doc.contactId,
});

type MergeDocument = Omit<ContactMerge, 'id' | 'tenantId'> & {
  _id: string;
  revertedAt?: Date | null;
};

function toMerge(tenant: TenantId, doc: MergeDocument): ContactMerge {
  const { _id, revertedAt, ...rest } = doc;
  return { ...rest, id: _id, tenantId: tenant, revertedAt: revertedAt ?? undefined };
}

export class MongoContactRepository implements ContactRepository {
  constructor(private readonly models: ConversationModels) {}

  async findIdentity(tenant: TenantId, kind: IdentityKind, value: string) {
    const doc = await this.models.contactIdentities
      .findOne({ _id: identityId(tenant, kind, value), tenantId: tenant })
      .lean<IdentityDocument>()
      .exec();
    return doc ? toIdentity(doc) : undefined;
  }

  async linkIdentityOnce(tenant: TenantId, identity: ContactIdentity, at: Date) {
    const value = normaliseIdentityValue(identity.kind, identity.value);
    try {
      await translateDuplicateKey(
        () =>
          this.models.contactIdentities.collection.updateOne(
            { _id: identityId(tenant, identity.kind, value) as never },
            {
              $setOnInsert: {
                tenantId: tenant,
                kind: identity.kind,
                value,
                verified: identity.verified,
                contactId: identity.contactId,
                createdAt: at,
              },
            },
            { upsert: true },
          ),
        'contact_identities',
      );
    } catch (error) {
      if (!(error instanceof DuplicateKeyError)) throw error;
    }
    // A verified sighting upgrades an unverified link (never the other way round).
    if (identity.verified) {
      await this.models.contactIdentities.collection.updateOne(
        { _id: identityId(tenant, identity.kind, value) as never, verified: false },
        { $set: { verified: true } },
      );
    }
    const stored = await this.findIdentity(tenant, identity.kind, value);
    if (!stored) throw new Error('identity vanished after its upsert');
    return stored;
  }

  async createIfAbsent(contact: Contact): Promise<void> {
    try {
      await translateDuplicateKey(
        () =>
          this.models.contacts.collection.updateOne(
            { _id: contact.id as never },
            {
              $setOnInsert: {
                tenantId: contact.tenantId,
                displayName: contact.displayName ?? null,
                createdAt: contact.createdAt,
                updatedAt: contact.createdAt,
              },
            },
            { upsert: true },
          ),
        'contacts',
      );
    } catch (error) {
      if (!(error instanceof DuplicateKeyError)) throw error;
    }
  }

  async findContact(tenant: TenantId, id: string): Promise<Contact | undefined> {
    const doc = await this.models.contacts
      .findOne({ _id: id, tenantId: tenant })
      .lean<{
        _id: string;
        displayName?: string | null;
        mergedInto?: string | null;
        createdAt: Date;
      }>()
      .exec();
    if (!doc) return undefined;
    return {
      id: doc._id,
      tenantId: tenant,
      displayName: doc.displayName ?? undefined,
      mergedInto: doc.mergedInto ?? undefined,
      createdAt: doc.createdAt,
    };
  }

  async identitiesOf(tenant: TenantId, contactId: string): Promise<ContactIdentity[]> {
    const docs = await this.models.contactIdentities
      .find({ tenantId: tenant, contactId })
      .lean<IdentityDocument[]>()
      .exec();
    return docs.map(toIdentity);
  }

  async moveIdentities(
    tenant: TenantId,
    fromContactId: string,
    toContactId: string,
    identities: ContactIdentity[],
  ): Promise<void> {
    for (const identity of identities) {
      await this.models.contactIdentities.collection.updateOne(
        {
          _id: identityId(tenant, identity.kind, identity.value) as never,
          tenantId: tenant,
          contactId: fromContactId,
        },
        { $set: { contactId: toContactId } },
      );
    }
  }

  async setMergedInto(tenant: TenantId, contactId: string, survivorId: string | undefined) {
    await this.models.contacts.collection.updateOne(
      { _id: contactId as never, tenantId: tenant },
      { $set: { mergedInto: survivorId ?? null } },
    );
  }

  async recordMerge(merge: ContactMerge): Promise<void> {
    const { id, ...rest } = merge;
    await this.models.contactMerges.collection.updateOne(
      { _id: id as never },
      { $setOnInsert: { ...rest, revertedAt: null } },
      { upsert: true },
    );
  }

  async findMerge(tenant: TenantId, id: string): Promise<ContactMerge | undefined> {
    const doc = await this.models.contactMerges
      .findOne({ _id: id, tenantId: tenant })
      .lean<MergeDocument>()
      .exec();
    return doc ? toMerge(tenant, doc) : undefined;
  }

  async listMerges(tenant: TenantId, contactId: string): Promise<ContactMerge[]> {
    const docs = await this.models.contactMerges
      .find({ tenantId: tenant, $or: [{ survivorId: contactId }, { mergedId: contactId }] })
      .sort({ mergedAt: -1, _id: 1 })
      .limit(1_000)
      .lean<MergeDocument[]>()
      .exec();
    return docs.map((doc) => toMerge(tenant, doc));
  }

  async markMergeReverted(tenant: TenantId, id: string, at: Date): Promise<boolean> {
    const result = await this.models.contactMerges.collection.updateOne(
      { _id: id as never, tenantId: tenant, revertedAt: null },
      { $set: { revertedAt: at } },
    );
    return result.modifiedCount === 1;
  }

  async mergedFamily(tenant: TenantId, contactId: string): Promise<string[]> {
    const family = [contactId];
    for (let index = 0; index < family.length && family.length < 1_000; index += 1) {
      const children = await this.models.contacts
        .find({ tenantId: tenant, mergedInto: family[index] }, { _id: 1 })
        .lean<Array<{ _id: string }>>()
        .exec();
      for (const child of children) if (!family.includes(child._id)) family.push(child._id);
    }
    return family;
  }
}
