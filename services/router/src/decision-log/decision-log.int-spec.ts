import type { RoutingDecisionEvent } from '@switchboard/events';
import { openMongoConnection } from '@switchboard/mongo';
import { createTestContext } from '@switchboard/testing';
import type { Connection } from 'mongoose';
import { toTenantId } from '../configuration/tenant-id';
import { DecisionLogRepository } from './decision-log.repository';
import { PruneDecisionLogUseCase } from './decision-log.retention';

describe('decision log (real MongoDB wire protocol)', () => {
  const context = createTestContext('router-decision-log');
  const tenant = toTenantId(`${context.tenantId}-a`);
  const other = toTenantId(`${context.tenantId}-b`);
  const start = Date.parse('2026-11-25T10:00:00.000Z');
  let mongo: Connection;
  let log: DecisionLogRepository;
  let offset = 0;

  const decision = (
    decisionId: string,
    type: RoutingDecisionEvent['type'],
    atSeconds: number,
    overrides: Partial<RoutingDecisionEvent> = {},
  ): RoutingDecisionEvent => ({
    schemaVersion: 1,
    tenantId: tenant,
    decisionId,
    conversationId: 'conv-1',
    queueId: 'chat',
    type,
    decidedAt: new Date(start + atSeconds * 1000).toISOString(),
    explanation: { reason: `${type} because`, rules: [`rule of ${type}`], candidates: [] },
    ...overrides,
  });
  const record = (event: RoutingDecisionEvent) =>
    log.record(event, { partition: 0, offset: (offset += 1) });

  beforeAll(async () => {
    mongo = openMongoConnection({ uri: context.stack.mongodbUri, database: context.database });
    await mongo.asPromise();
    log = new DecisionLogRepository(mongo);
    await log.ensureIndexes();
  });

  afterAll(async () => {
    await mongo.dropDatabase();
    await mongo.close();
  });

  it('stores each decision once, with the wait that its first offer ends', async () => {
    const queued = decision('d-1', 'queued', 0);
    expect(await record(queued)).toMatchObject({ decisionId: 'd-1', waitMs: undefined });
    // A redelivery stores nothing and reports nothing.
    expect(await record(queued)).toBeUndefined();
    const offered = decision('d-2', 'offered', 12, {
      agentId: 'ann',
      offerExpiresAt: new Date(start + 42_000).toISOString(),
      explanation: {
        reason: 'longest idle',
        rules: [],
        strategy: 'longest_idle',
        candidates: [
          { agentId: 'bob', chosen: false, reason: 'declined before' },
          { agentId: 'ann', chosen: true, reason: 'longest idle' },
        ],
      },
    });
    expect(await record(offered)).toMatchObject({ waitMs: 12_000 });
    // Accepting the offer ends no further wait; a second offer after a decline neither.
    expect(await record(decision('d-3', 'offer_declined', 20))).toMatchObject({
      waitMs: undefined,
    });
    expect(await record(decision('d-4', 'offered', 25))).toMatchObject({ waitMs: undefined });
    expect(await record(decision('d-5', 'assigned', 30))).toMatchObject({ waitMs: undefined });
    // Resolved, reopened and queued again: a new wait.
    await record(decision('d-6', 'completed', 100));
    await record(decision('d-7', 'queued', 200));
    expect(await record(decision('d-8', 'assigned', 203))).toMatchObject({ waitMs: 3_000 });

    const stored = await log.byId(tenant, 'd-2');
    expect(stored).toMatchObject({
      conversationId: 'conv-1',
      type: 'offered',
      agentId: 'ann',
      strategy: 'longest_idle',
      offerExpiresAt: new Date(start + 42_000),
      candidates: [
        { agentId: 'bob', chosen: false, reason: 'declined before' },
        { agentId: 'ann', chosen: true, reason: 'longest idle' },
      ],
    });
    expect(await log.recentWaits(tenant, 'chat', new Date(start))).toEqual(
      expect.arrayContaining([12_000, 3_000]),
    );
    expect(await log.recentWaits(tenant, 'chat', new Date(start + 150_000))).toEqual([3_000]);
    expect(await log.recentOfferTimes(tenant, 'chat', new Date(start))).toEqual([
      start + 12_000,
      start + 203_000,
    ]);
  });

  it('lists a conversation newest first, ordering same-millisecond decisions by log position', async () => {
    await record(decision('s-1', 'queued', 500, { conversationId: 'conv-2' }));
    await record(decision('s-2', 'offered', 500, { conversationId: 'conv-2', agentId: 'ann' }));
    const latest = await log.latestOfConversation(tenant, 'conv-2', 20);
    expect(latest.map((entry) => entry.decisionId)).toEqual(['s-2', 's-1']);
    expect((await log.latestOfConversation(tenant, 'conv-1', 3)).map((d) => d.decisionId)).toEqual([
      'd-8',
      'd-7',
      'd-6',
    ]);
  });

  it('keeps tenants apart', async () => {
    await record(decision('x-1', 'queued', 0, { tenantId: other, conversationId: 'conv-1' }));
    expect(await log.byId(other, 'd-2')).toBeUndefined();
    expect(await log.byId(tenant, 'x-1')).toBeUndefined();
    expect((await log.latestOfConversation(other, 'conv-1', 20)).map((d) => d.decisionId)).toEqual([
      'x-1',
    ]);
    // The same decision id in another tenant is another decision.
    expect(await record(decision('d-1', 'queued', 0, { tenantId: other }))).toMatchObject({
      tenantId: other,
    });
  });

  it('deletes decisions past the retention, of every tenant, in bounded batches, and nothing newer', async () => {
    const day = 24 * 60 * 60;
    const now = new Date(start + 100 * day * 1000);
    // 7 decisions older than 30 days (two tenants), 2 just inside the retention.
    for (let index = 0; index < 5; index += 1) {
      await record(decision(`old-a-${index}`, 'queued', index, { conversationId: 'conv-old' }));
    }
    for (let index = 0; index < 2; index += 1) {
      await record(
        decision(`old-b-${index}`, 'queued', index, {
          tenantId: other,
          conversationId: 'conv-old',
        }),
      );
    }
    await record(decision('recent-a', 'queued', 71 * day, { conversationId: 'conv-recent' }));
    await record(
      decision('recent-b', 'queued', 71 * day, { tenantId: other, conversationId: 'conv-recent' }),
    );
    const prune = new PruneDecisionLogUseCase(log, 30, () => now, 2);
    const before = await log.latestOfConversation(tenant, 'conv-old', 100);
    expect(before).toHaveLength(5);
    // Everything decided more than 30 days before `now`: the 7 above and the earlier tests' ones.
    expect(await prune.execute()).toBeGreaterThanOrEqual(7);
    expect(await log.latestOfConversation(tenant, 'conv-old', 100)).toEqual([]);
    expect(await log.latestOfConversation(other, 'conv-old', 100)).toEqual([]);
    expect(await log.byId(tenant, 'recent-a')).toBeDefined();
    expect(await log.byId(other, 'recent-b')).toBeDefined();
    // Nothing left to do: a second pass (another replica's) deletes nothing.
    expect(await prune.execute()).toBe(0);
  });
});
