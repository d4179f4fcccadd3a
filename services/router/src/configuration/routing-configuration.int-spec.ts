import { openMongoConnection } from '@switchboard/mongo';
import {
  closeRedisConnection,
  openRedisConnection,
  type RedisClient,
  waitForRedisReady,
} from '@switchboard/redis';
import { createTestContext } from '@switchboard/testing';
import type { Connection } from 'mongoose';
import { parse } from 'yaml';
import { AssignmentStore } from '../assignment/assignment.store';
import { DispatchQueueUseCase } from '../assignment/dispatch-queue.usecase';
import { ApplyRoutingConfigurationUseCase } from './apply-routing-configuration.usecase';
import { ProjectRoutingStateUseCase } from './project-routing-state.usecase';
import { RoutingConfigRepository } from './routing-config.repository';
import { parseRoutingConfig } from './routing-config.schema';
import { toTenantId } from './tenant-id';

const clock = { now: () => Date.now() };

describe('routing configuration: YAML → MongoDB → Redis', () => {
  const context = createTestContext('router-config');
  const acme = toTenantId(`${context.tenantId}-acme`);
  const beta = toTenantId(`${context.tenantId}-beta`);
  let mongo: Connection;
  let redis: RedisClient;
  let repository: RoutingConfigRepository;
  let store: AssignmentStore;
  let apply: ApplyRoutingConfigurationUseCase;

  const yamlFor = (billingLevel: number) => `
tenants:
  - tenant: ${acme}
    skills: [billing, tech.support]
    queues:
      - id: billing
        channel: chat
        requiredSkills: { billing: 5 }
        offerTimeoutSeconds: 20
      - id: tech
        channel: email
        requiredSkills: { tech.support: 3 }
        strategy: least_loaded
    agents:
      - id: ann
        skills: { billing: ${billingLevel}, tech.support: 4 }
        languages: [en, de]
        capacity: { chat: 2, email: 4 }
      - id: bob
        skills: { tech.support: 9 }
        capacity: { email: 5 }
  - tenant: ${beta}
    skills: [billing]
    queues:
      - id: billing
        channel: chat
    agents:
      - id: ann
        capacity: { chat: 1 }
`;

  beforeAll(async () => {
    mongo = openMongoConnection({ uri: context.stack.mongodbUri, database: context.database });
    await mongo.asPromise();
    redis = openRedisConnection({ url: context.stack.redisUrl, keyPrefix: context.redisKeyPrefix });
    await waitForRedisReady(redis);
    repository = new RoutingConfigRepository(mongo);
    await repository.ensureIndexes();
    store = new AssignmentStore(redis);
    apply = new ApplyRoutingConfigurationUseCase(
      repository,
      new ProjectRoutingStateUseCase(repository, store),
      clock,
    );
  });

  afterAll(async () => {
    await mongo.dropDatabase();
    await mongo.close();
    await closeRedisConnection(redis);
  });

  it('stores the configuration durably and projects queue membership by skill level', async () => {
    const applied = await apply.execute(parseRoutingConfig(parse(yamlFor(7))));
    expect(applied).toEqual([
      { tenant: acme, version: 1, changed: true, queues: 2, agents: 2 },
      { tenant: beta, version: 1, changed: true, queues: 1, agents: 1 },
    ]);

    const stored = await repository.loadTenantConfig(acme);
    expect(stored.queues.find((queue) => queue.id === 'tech')).toMatchObject({
      requiredSkills: { 'tech.support': 3 },
      strategy: 'least_loaded',
    });
    expect(stored.agents.find((agent) => agent.id === 'ann')).toMatchObject({
      skills: { billing: 7, 'tech.support': 4 },
      capacity: { chat: 2, email: 4 },
    });
    expect(await repository.listTenants()).toEqual(expect.arrayContaining([acme, beta]));

    expect((await store.queuesOfAgent(acme, 'ann')).sort()).toEqual(['billing', 'tech']);
    expect(await store.queuesOfAgent(acme, 'bob')).toEqual(['tech']);
    expect(await store.queuesOfAgent(beta, 'ann')).toEqual(['billing']);
  });

  it('routes with the projected state, and a lowered skill takes the agent out of the queue', async () => {
    const dispatch = new DispatchQueueUseCase(store, clock);
    await store.setStatus(acme, 'ann', 'available', Date.now(), { requeueAssigned: false });
    await store.enqueueTask(acme, {
      taskId: 'conv-1',
      queueId: 'billing',
      channel: 'chat',
      units: 1,
      language: 'de',
      requiredSkills: {},
      priority: 0,
      enqueuedAt: Date.now(),
    });
    const [decision] = await dispatch.execute(acme, 'billing');
    expect(decision).toMatchObject({
      taskId: 'conv-1',
      outcome: { kind: 'offered', agentId: 'ann' },
    });
    const expiresAt = decision?.outcome.kind === 'offered' ? decision.outcome.expiresAt : 0;
    expect(expiresAt - (decision?.decidedAt ?? 0)).toBe(20_000);

    await apply.execute(parseRoutingConfig(parse(yamlFor(3))));
    expect(await store.queuesOfAgent(acme, 'ann')).toEqual(['tech']);
    // The other tenant's agent of the same name is untouched.
    expect(await store.queuesOfAgent(beta, 'ann')).toEqual(['billing']);
  });
});
