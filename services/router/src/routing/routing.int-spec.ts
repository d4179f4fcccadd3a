import type { ConversationEvent, RoutingDecisionEvent } from '@switchboard/events';
import { openMongoConnection } from '@switchboard/mongo';
import {
  closeRedisConnection,
  openRedisConnection,
  type RedisClient,
  waitForRedisReady,
} from '@switchboard/redis';
import { createTestContext } from '@switchboard/testing';
import type { Connection } from 'mongoose';
import { AssignmentStore } from '../assignment/assignment.store';
import { DispatchQueueUseCase } from '../assignment/dispatch-queue.usecase';
import { ApplyRoutingConfigurationUseCase } from '../configuration/apply-routing-configuration.usecase';
import { ProjectRoutingStateUseCase } from '../configuration/project-routing-state.usecase';
import { RoutingConfigRepository } from '../configuration/routing-config.repository';
import { parseRoutingConfig } from '../configuration/routing-config.schema';
import { toTenantId } from '../configuration/tenant-id';
import { DecisionFactory } from './decision-factory';
import { MaintainRoutingUseCase } from './maintain-routing.usecase';
import {
  NoRoutingConfigurationError,
  RouteConversationEventUseCase,
} from './route-conversation-event.usecase';
import { CachedTenantConfigSource } from './tenant-config.cache';
import { RuleAndModelClassifier } from '../classification/classify';

describe('routing conversation events (real MongoDB and Redis)', () => {
  const context = createTestContext('router-routing');
  const tenant = toTenantId(`${context.tenantId}-r`);
  const clock = { current: Date.parse('2026-11-25T10:00:00.000Z'), now: () => clock.current };
  const published: RoutingDecisionEvent[] = [];
  const publisher = {
    publish: async (decisions: readonly RoutingDecisionEvent[]) =>
      void published.push(...decisions),
  };
  let mongo: Connection;
  let redis: RedisClient;
  let store: AssignmentStore;
  let route: RouteConversationEventUseCase;
  let maintain: MaintainRoutingUseCase;
  let ids = 0;

  beforeAll(async () => {
    mongo = openMongoConnection({ uri: context.stack.mongodbUri, database: context.database });
    await mongo.asPromise();
    redis = openRedisConnection({ url: context.stack.redisUrl, keyPrefix: context.redisKeyPrefix });
    await waitForRedisReady(redis);
    const repository = new RoutingConfigRepository(mongo);
    await repository.ensureIndexes();
    store = new AssignmentStore(redis);
    await new ApplyRoutingConfigurationUseCase(
      repository,
      new ProjectRoutingStateUseCase(repository, store),
      clock,
    ).execute(
      parseRoutingConfig({
        tenants: [
          {
            tenant,
            queues: [{ id: 'chat', channel: 'chat', offerTimeoutSeconds: 1 }],
            agents: [
              { id: 'ann', capacity: { chat: 1 } },
              { id: 'bob', capacity: { chat: 1 } },
            ],
            queueSelection: { byChannel: { chat: 'chat' } },
          },
        ],
      }),
    );
    const configs = new CachedTenantConfigSource(repository, clock);
    const dispatch = new DispatchQueueUseCase(store, clock);
    const decisions = new DecisionFactory({ next: () => `decision-${(ids += 1)}` });
    route = new RouteConversationEventUseCase(
      store,
      dispatch,
      configs,
      decisions,
      publisher,
      clock,
      new RuleAndModelClassifier(),
    );
    maintain = new MaintainRoutingUseCase(store, dispatch, configs, decisions, publisher, clock, {
      heartbeatTtlMs: 30_000,
      requeueAssignedOnOffline: false,
    });
    await store.setStatus(tenant, 'ann', 'available', clock.now(), { requeueAssigned: false });
  });

  afterAll(async () => {
    await mongo.dropDatabase();
    await mongo.close();
    await closeRedisConnection(redis);
  });

  const event = (
    conversationId: string,
    overrides: Partial<ConversationEvent> = {},
    status: 'open' | 'resolved' = 'open',
  ): ConversationEvent => ({
    schemaVersion: 1,
    tenantId: tenant,
    eventId: `${conversationId}:1`,
    conversationId,
    sequence: 1,
    tenantCursor: 1,
    type: 'created',
    occurredAt: new Date(clock.now()).toISOString(),
    actor: { kind: 'customer', id: 'c-1' },
    triggersRouting: true,
    conversation: {
      channel: 'chat',
      threadKey: conversationId,
      status,
      priority: 'normal',
      tags: [],
      contactId: 'c-1',
    },
    data: {},
    ...overrides,
  });

  const summary = (decisions: RoutingDecisionEvent[]) =>
    decisions.map((decision) => [decision.type, decision.conversationId, decision.agentId ?? '-']);

  it('queues a new conversation and offers it, with an explanation', async () => {
    const made = await route.execute(event('conv-1'));
    expect(summary(made)).toEqual([
      ['queued', 'conv-1', '-'],
      ['offered', 'conv-1', 'ann'],
    ]);
    expect(made[0]?.explanation.rules).toEqual([
      'channel chat → queue chat',
      'priority normal ← conversation',
    ]);
    expect(made[1]?.explanation.strategy).toBe('longest_idle');
    expect(published).toHaveLength(2);
  });

  it('changes nothing when the same event is delivered again', async () => {
    expect(await route.execute(event('conv-1'))).toEqual([]);
  });

  it('keeps a second conversation waiting while the agent is full, and pulls it when capacity frees', async () => {
    expect(summary(await route.execute(event('conv-2')))).toEqual([['queued', 'conv-2', '-']]);
    expect(await store.acceptOffer(tenant, 'conv-1', 'ann')).toBe(true);
    const resolved = await route.execute(
      event(
        'conv-1',
        { type: 'status_changed', triggersRouting: false, eventId: 'conv-1:2', sequence: 2 },
        'resolved',
      ),
    );
    expect(summary(resolved)).toEqual([
      ['completed', 'conv-1', '-'],
      ['offered', 'conv-2', 'ann'],
    ]);
  });

  it('expires an unanswered offer and never offers it to the same agent again', async () => {
    clock.current += 1_001;
    const made = await maintain.execute();
    expect(summary(made)).toEqual([['offer_expired', 'conv-2', 'ann']]);
    await store.setStatus(tenant, 'bob', 'available', clock.now(), { requeueAssigned: false });
    expect(summary(await maintain.execute())).toEqual([['offered', 'conv-2', 'bob']]);
  });

  it('does not route auto-replies or other events that need no agent', async () => {
    expect(await route.execute(event('conv-3', { triggersRouting: false }))).toEqual([]);
  });

  it('refuses events of a tenant without routing configuration, so they are dead-lettered', async () => {
    await expect(
      route.execute(event('conv-4', { tenantId: `${tenant}-unknown` })),
    ).rejects.toBeInstanceOf(NoRoutingConfigurationError);
  });
});
