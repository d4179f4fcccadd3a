import { setTimeout as sleep } from 'node:timers/promises';
import { UnavailableError } from '@switchboard/grpc-kit';
import { createTestContext } from '@switchboard/testing';
import { type ConversationHarness, openConversationHarness } from '../../test/conversation-harness';
import { MergeContactsCommand } from '../contacts/merge-contacts.usecase';
import { ResolveContactUseCase } from '../contacts/resolve-contact.usecase';
import type { ConversationCore } from '../conversations/conversation-core';
import { asTenantId } from '../shared/tenant-id';
import { LeaseLock } from './lease-lock';

/**
 * The lease that makes a tenant's contact merges one at a time across replicas, on the real
 * MongoDB wire protocol (FerretDB locally): each replica has its own LeaseLock, as separate
 * processes would, and only the database is shared.
 */
describe('lease lock across replicas', () => {
  const context = createTestContext('conversation lease lock');
  let harness: ConversationHarness;
  let replicaA: ConversationCore;
  let replicaB: ConversationCore;

  beforeAll(async () => {
    harness = await openConversationHarness(context);
    replicaA = await harness.core();
    replicaB = await harness.core();
  }, 60_000);

  afterAll(async () => {
    await harness.close();
  }, 30_000);

  it('never lets two holders of one key overlap, while other keys run freely', async () => {
    const locks = [new LeaseLock(replicaA.models.leases), new LeaseLock(replicaB.models.leases)];
    let inside = 0;
    let mostInside = 0;
    let otherKeyRan = false;
    const task = async () => {
      inside += 1;
      mostInside = Math.max(mostInside, inside);
      await sleep(15);
      inside -= 1;
    };
    await Promise.all([
      ...Array.from({ length: 16 }, (_, index) => locks[index % 2]!.run('merges:t1', task)),
      locks[1]!.run('merges:t2', async () => {
        otherKeyRan = true;
      }),
    ]);
    expect(mostInside).toBe(1);
    expect(otherKeyRan).toBe(true);
    expect(await replicaA.models.leases.countDocuments({ key: 'merges:t1' })).toBe(0);
  });

  it('takes over the lease of a holder that died, and refuses with UNAVAILABLE while one lives', async () => {
    await replicaA.models.leases.collection.insertOne({
      _id: 'lease_crashed' as never,
      key: 'merges:t3',
      expiresAt: new Date(Date.now() - 1_000),
    });
    const lock = new LeaseLock(replicaB.models.leases, { waitMs: 2_000 });
    await expect(lock.run('merges:t3', async () => 'done')).resolves.toBe('done');

    await replicaA.models.leases.collection.insertOne({
      _id: 'lease_alive' as never,
      key: 'merges:t4',
      expiresAt: new Date(Date.now() + 60_000),
    });
    const impatient = new LeaseLock(replicaB.models.leases, { waitMs: 200 });
    let ran = false;
    await expect(
      impatient.run('merges:t4', async () => {
        ran = true;
      }),
    ).rejects.toBeInstanceOf(UnavailableError);
    expect(ran).toBe(false);
  });

  it('lets exactly one of two crossing merges sent to different replicas happen', async () => {
    const tenant = asTenantId(context.tenantId);
    const resolveContact = new ResolveContactUseCase(replicaA.repositories.contacts);
    for (let round = 0; round < 5; round += 1) {
      const now = new Date();
      const [ada, grace] = await Promise.all([
        resolveContact.execute(
          tenant,
          { kind: 'chat_visitor', value: `ada-${round}`, verified: false },
          now,
        ),
        resolveContact.execute(
          tenant,
          { kind: 'chat_visitor', value: `grace-${round}`, verified: false },
          now,
        ),
      ]);
      const outcomes = await Promise.allSettled([
        replicaA.mergeContacts.execute(
          new MergeContactsCommand(tenant, grace, ada, 'same person', 'sup-1'),
        ),
        replicaB.mergeContacts.execute(
          new MergeContactsCommand(tenant, ada, grace, 'same person', 'sup-2'),
        ),
      ]);
      expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
      const [adaNow, graceNow] = await Promise.all([
        replicaA.repositories.contacts.findContact(tenant, ada),
        replicaA.repositories.contacts.findContact(tenant, grace),
      ]);
      // One points at the other; never both at each other.
      expect([adaNow?.mergedInto, graceNow?.mergedInto].filter(Boolean)).toHaveLength(1);
    }
  }, 60_000);
});
