import { createTestContext, type TestContext } from '@switchboard/testing';
import { Schema, type Connection } from 'mongoose';
import { DuplicateKeyError, openMongoConnection, pingMongo, translateDuplicateKey } from './index';

interface ContactDocument {
  tenantId: string;
  email: string;
  name: string;
  tags: string[];
  createdAt: Date;
}

const contactSchema = new Schema<ContactDocument>({
  tenantId: { type: String, required: true },
  email: { type: String, required: true },
  name: { type: String, required: true },
  tags: { type: [String], default: [] },
  createdAt: { type: Date, required: true },
});
contactSchema.index({ tenantId: 1, email: 1 }, { unique: true });

describe('mongoose on the MongoDB wire protocol (FerretDB locally)', () => {
  let context: TestContext;
  let connection: Connection;

  beforeAll(async () => {
    context = createTestContext('mongo-lib');
    connection = openMongoConnection({ uri: context.stack.mongodbUri, database: context.database });
    await connection.asPromise();
  });

  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });

  it('answers a ping', async () => {
    await expect(pingMongo(connection)).resolves.toBe(true);
  });

  it('round-trips a document and turns a unique-index violation into DuplicateKeyError', async () => {
    const Contacts = connection.model<ContactDocument>('Contact', contactSchema, 'contacts');
    await Contacts.createCollection();
    await Contacts.syncIndexes();

    const createdAt = new Date('2026-11-25T10:00:00.000Z');
    await Contacts.create({
      tenantId: context.tenantId,
      email: 'ada@example.com',
      name: 'Ada',
      tags: ['vip'],
      createdAt,
    });

    const found = await Contacts.findOne({ tenantId: context.tenantId, email: 'ada@example.com' })
      .lean()
      .exec();
    expect(found).toMatchObject({ name: 'Ada', tags: ['vip'], createdAt });

    const duplicate = translateDuplicateKey(
      () =>
        Contacts.create({
          tenantId: context.tenantId,
          email: 'ada@example.com',
          name: 'Ada again',
          createdAt,
        }),
      'contacts',
    );
    await expect(duplicate).rejects.toBeInstanceOf(DuplicateKeyError);
    await expect(duplicate).rejects.toMatchObject({ collection: 'contacts' });

    // The same email in another tenant is a different contact: the index is per tenant.
    await Contacts.create({
      tenantId: `${context.tenantId}-other`,
      email: 'ada@example.com',
      name: 'Other Ada',
      createdAt,
    });
    expect(await Contacts.countDocuments({ email: 'ada@example.com' }).exec()).toBe(2);
  });

  it('updates a single document atomically', async () => {
    const Contacts = connection.model<ContactDocument>('Contact');
    const updated = await Contacts.findOneAndUpdate(
      { tenantId: context.tenantId, email: 'ada@example.com' },
      { $addToSet: { tags: 'returning' } },
      { new: true },
    )
      .lean()
      .exec();
    expect(updated?.tags).toEqual(['vip', 'returning']);
  });
});
