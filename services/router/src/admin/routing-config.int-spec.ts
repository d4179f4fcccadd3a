import { FailedPreconditionError, type Principal } from '@switchboard/grpc-kit';
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
import { ApplyRoutingConfigurationUseCase } from '../configuration/apply-routing-configuration.usecase';
import { ProjectRoutingStateUseCase } from '../configuration/project-routing-state.usecase';
import { RoutingConfigRepository } from '../configuration/routing-config.repository';
import { parseRoutingConfig } from '../configuration/routing-config.schema';
import { toTenantId } from '../configuration/tenant-id';
import { HotStateReader } from './hot-state.reader';
import { RoutingConfigUseCases } from './routing-config.usecases';

describe('versioned routing configuration (real MongoDB wire protocol and Redis)', () => {
  const context = createTestContext('router-config-versions');
  const tenant = toTenantId(`${context.tenantId}-v`);
  const clock = { now: () => Date.now() };
  const supervisor: Principal = {
    agentId: 'sue',
    tenantId: tenant,
    roles: ['supervisor'],
    queueIds: [],
  };
  let mongo: Connection;
  let redis: RedisClient;
  let repository: RoutingConfigRepository;
  let store: AssignmentStore;
  let apply: ApplyRoutingConfigurationUseCase;
  let useCases: RoutingConfigUseCases;

  const file = (offerTimeoutSeconds: number) =>
    parseRoutingConfig({
      tenants: [
        {
          tenant,
          queues: [
            { id: 'chat', channel: 'chat', offerTimeoutSeconds },
            { id: 'mail', channel: 'email' },
          ],
          agents: [{ id: 'ann', capacity: { chat: 1, email: 1 } }],
        },
      ],
    });

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
    useCases = new RoutingConfigUseCases(repository, apply, new HotStateReader(redis));
  });

  afterAll(async () => {
    await mongo.dropDatabase();
    await mongo.close();
    await closeRedisConnection(redis);
  });

  it('applies the bootstrap file only when it changed, keeping API changes across restarts', async () => {
    expect(await apply.execute(file(30))).toMatchObject([{ version: 1, changed: true }]);
    // A restart with the same file writes nothing.
    expect(await apply.execute(file(30))).toMatchObject([{ version: 1, changed: false }]);

    const current = await useCases.get(supervisor);
    const edited = current.document.replace('offerTimeoutSeconds: 30', 'offerTimeoutSeconds: 45');
    expect(edited).not.toBe(current.document);
    expect(await useCases.put(supervisor, edited, '1')).toEqual({ version: 2 });

    // The same file again: the supervisor's change stays.
    expect(await apply.execute(file(30))).toMatchObject([{ version: 2, changed: false }]);
    expect((await repository.loadTenantConfig(tenant)).queues[0]?.offerTimeoutSeconds).toBe(45);

    // An edited file is a deliberate change of the operator: it applies.
    expect(await apply.execute(file(60))).toMatchObject([{ version: 3, changed: true }]);
    const head = await repository.head(tenant);
    expect(head).toMatchObject({ version: 3, source: 'bootstrap' });
    expect(head?.config.queues[0]?.offerTimeoutSeconds).toBe(60);
  });

  it('loses no write when many unconditional writes race (each becomes its own version)', async () => {
    const before = (await repository.head(tenant))?.version ?? 0;
    const config = file(30).tenants[0]!;
    const saved = await Promise.all(
      Array.from({ length: 8 }, () =>
        repository.saveVersion(tenant, config, {
          source: 'api',
          now: new Date(),
        }),
      ),
    );
    expect(saved.map((version) => version.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 8 }, (_, index) => before + index + 1),
    );
  });

  it('refuses to drop a queue that conversations still wait in', async () => {
    await store.enqueueTask(tenant, {
      taskId: 'waiting-in-mail',
      queueId: 'mail',
      channel: 'email',
      units: 1,
      language: '',
      requiredSkills: {},
      priority: 1,
      enqueuedAt: Date.now(),
    });
    const withoutMail =
      'queues: [{ id: chat, channel: chat }]\nagents: [{ id: ann, capacity: { chat: 1 } }]';
    await expect(useCases.put(supervisor, withoutMail, '0')).rejects.toThrow(
      FailedPreconditionError,
    );
    await expect(useCases.put(supervisor, withoutMail, '0')).rejects.toThrow(
      'queue mail still has 1 waiting and 0 offered conversations',
    );
    await store.completeTask(tenant, 'waiting-in-mail');
    const { version } = await useCases.put(supervisor, withoutMail, '0');
    expect((await repository.head(tenant))?.version).toBe(version);
    expect(await store.queuesOfAgent(tenant, 'ann')).toEqual(['chat']);
  });
});
