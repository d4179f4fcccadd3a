import type { SenderIdentity } from '@switchboard/events';
import { type ContactRepository, normaliseIdentityValue } from '../persistence/contact.repository';
import { deterministicId } from '../shared/ids';
import type { TenantId } from '../shared/tenant-id';

/**
 * Finds the contact behind a sender identity, creating it on first sight. The same identity
 * always leads to the same contact (the identity link is unique per tenant); the contact id is
 * derived from the identity, so a crash between linking and creating repairs itself on retry.
 */
export class ResolveContactUseCase {
  constructor(private readonly contacts: ContactRepository) {}

  async execute(tenant: TenantId, sender: SenderIdentity, now: Date): Promise<string> {
    const value = normaliseIdentityValue(sender.kind, sender.value);
    const link = await this.contacts.linkIdentityOnce(
      tenant,
      {
        kind: sender.kind,
        value,
        verified: sender.verified,
        contactId: deterministicId('ct', tenant, sender.kind, value),
      },
      now,
    );
    await this.contacts.createIfAbsent({
      id: link.contactId,
      tenantId: tenant,
      displayName: sender.displayName,
      createdAt: now,
    });
    return link.contactId;
  }
}
