import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ClientReadableStream,
  credentials,
  makeGenericClientConstructor,
  Metadata,
  type ServiceError,
  status as GrpcStatus,
} from '@grpc/grpc-js';
import { routerV1 } from '@switchboard/contracts';
import {
  closeRedisConnection,
  openRedisConnection,
  type RedisClient,
  waitForRedisReady,
} from '@switchboard/redis';
import {
  createTestContext,
  expectEventually,
  freePort,
  type ServiceProcess,
  spawnService,
  waitForHttpStatus,
} from '@switchboard/testing';
import { SignJWT } from 'jose';
import { AssignmentStore } from '../src/assignment/assignment.store';

/**
 * The router as its own process: routing configuration from a YAML file, agents' presence and
 * offers over gRPC (a real grpc-js client with a signed token), offers made by the router's own
 * tick and pushed to the agent's stream.
 */

const SECRET = 'router-e2e-secret-with-at-least-32-bytes!';

type Unary = (
  request: object,
  metadata: Metadata,
  callback: (error: ServiceError | null, response?: unknown) => void,
) => void;
interface RawClient {
  close(): void;
  watchOffers(
    request: object,
    metadata: Metadata,
  ): ClientReadableStream<routerV1.WatchOffersResponse>;
  [method: string]: unknown;
}
const AgentClient = makeGenericClientConstructor(routerV1.AgentServiceService, 'AgentService');

async function token(agentId: string, tenant: string): Promise<string> {
  return new SignJWT({ tenant, roles: ['agent'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(agentId)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));
}

function metadataFor(bearer: string | undefined): Metadata {
  const metadata = new Metadata();
  if (bearer !== undefined) metadata.set('authorization', `Bearer ${bearer}`);
  return metadata;
}

describe('router agent API over gRPC', () => {
  const context = createTestContext('router-agent-api');
  const tenant = context.tenantId;
  const directory = mkdtempSync(join(tmpdir(), 'router-e2e-'));
  let router: ServiceProcess;
  let client: RawClient;
  let redis: RedisClient;
  let store: AssignmentStore;
  const streams: ClientReadableStream<routerV1.WatchOffersResponse>[] = [];

  const call = <Res>(method: string, request: object, bearer?: string): Promise<Res> =>
    new Promise((resolve, reject) => {
      const fn = (client[method] as Unary).bind(client);
      fn(request, metadataFor(bearer), (error, response) =>
        error ? reject(error) : resolve(response as Res),
      );
    });

  const watch = (bearer: string): routerV1.Offer[] => {
    const offers: routerV1.Offer[] = [];
    const stream = client.watchOffers({}, metadataFor(bearer));
    stream.on('data', (response: routerV1.WatchOffersResponse) => {
      if (response.offer) offers.push(response.offer);
    });
    stream.on('error', () => undefined); // cancelled at the end
    streams.push(stream);
    return offers;
  };

  const enqueue = (taskId: string) =>
    store.enqueueTask(tenant, {
      taskId,
      queueId: 'chat',
      channel: 'chat',
      units: 1,
      language: '',
      requiredSkills: {},
      priority: 1,
      enqueuedAt: Date.now(),
    });

  beforeAll(async () => {
    const configFile = join(directory, 'routing.yaml');
    writeFileSync(
      configFile,
      `tenants:
  - tenant: ${tenant}
    queues:
      - { id: chat, channel: chat, offerTimeoutSeconds: 30 }
    agents:
      - { id: ann, capacity: { chat: 1 } }
      - { id: bob, capacity: { chat: 1 } }
    queueSelection: { byChannel: { chat: chat } }
`,
    );
    const grpcPort = await freePort();
    router = spawnService('router', {
      httpPort: await freePort(),
      env: {
        KAFKA_BROKERS: context.stack.kafkaBrokers,
        MONGODB_URI: context.stack.mongodbUri,
        MONGODB_DATABASE: context.database,
        REDIS_URL: context.stack.redisUrl,
        REDIS_KEY_PREFIX: context.redisKeyPrefix,
        GRPC_PORT: String(grpcPort),
        AUTH_JWT_SECRET: SECRET,
        ROUTER_CONFIG_FILE: configFile,
        ROUTER_TICK_MS: '100',
        LOG_LEVEL: 'warn',
      },
    });
    await waitForHttpStatus(`${router.httpUrl}/health/ready`, 200, {
      timeoutMs: 60_000,
      process: router,
    });
    client = new AgentClient(
      `127.0.0.1:${grpcPort}`,
      credentials.createInsecure(),
    ) as unknown as RawClient;
    redis = openRedisConnection({ url: context.stack.redisUrl, keyPrefix: context.redisKeyPrefix });
    await waitForRedisReady(redis);
    store = new AssignmentStore(redis);
  }, 90_000);

  afterAll(async () => {
    streams.forEach((stream) => stream.cancel());
    client?.close();
    await closeRedisConnection(redis);
    await router?.stop('SIGTERM');
    rmSync(directory, { recursive: true, force: true });
  });

  it('refuses calls without a valid token, and agents without a routing profile', async () => {
    await expect(
      call('setPresence', { status: routerV1.PresenceStatus.AVAILABLE }),
    ).rejects.toMatchObject({
      code: GrpcStatus.UNAUTHENTICATED,
    });
    const forged = (await token('ann', tenant)).slice(0, -2) + 'xx';
    await expect(call('heartbeat', {}, forged)).rejects.toMatchObject({
      code: GrpcStatus.UNAUTHENTICATED,
    });
    await expect(
      call(
        'setPresence',
        { status: routerV1.PresenceStatus.AVAILABLE },
        await token('ann', `${tenant}-other`),
      ),
    ).rejects.toMatchObject({ code: GrpcStatus.FAILED_PRECONDITION });
    await expect(
      call(
        'setPresence',
        { status: routerV1.PresenceStatus.UNSPECIFIED },
        await token('ann', tenant),
      ),
    ).rejects.toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
      details: 'status: is required',
    });
  });

  it('sets presence and pushes offers to the agent stream, which the agent accepts', async () => {
    const ann = await token('ann', tenant);
    const presence = await expectEventually(() =>
      call<routerV1.SetPresenceResponse>(
        'setPresence',
        { status: routerV1.PresenceStatus.AVAILABLE },
        ann,
      ),
    );
    expect(presence.presence).toMatchObject({
      agentId: 'ann',
      status: routerV1.PresenceStatus.AVAILABLE,
    });
    expect((await call<routerV1.HeartbeatResponse>('heartbeat', {}, ann)).presence?.status).toBe(
      routerV1.PresenceStatus.AVAILABLE,
    );

    const offers = watch(ann);
    await enqueue('conv-1');
    await expectEventually(
      () => expect(offers.map((offer) => offer.conversationId)).toContain('conv-1'),
      {
        timeoutMs: 10_000,
      },
    );
    expect(offers[0]).toMatchObject({ queueId: 'chat' });

    await call('acceptOffer', { conversationId: 'conv-1' }, ann);
    await expect(call('acceptOffer', { conversationId: 'conv-1' }, ann)).rejects.toMatchObject({
      code: GrpcStatus.FAILED_PRECONDITION,
    });
    expect(await store.taskState(tenant, 'conv-1')).toMatchObject({
      state: 'assigned',
      agentId: 'ann',
    });
  });

  it('never offers a rejected conversation to the same agent again, and moves it on', async () => {
    const ann = await token('ann', tenant);
    const bob = await token('bob', tenant);
    await expectEventually(() =>
      call('setPresence', { status: routerV1.PresenceStatus.AVAILABLE }, bob),
    );
    const bobOffers = watch(bob);
    await enqueue('conv-2');
    await expectEventually(
      () => expect(bobOffers.map((offer) => offer.conversationId)).toContain('conv-2'),
      {
        timeoutMs: 10_000,
      },
    );
    // Another tenant's token cannot answer this tenant's offer.
    await expect(
      call('rejectOffer', { conversationId: 'conv-2' }, await token('bob', `${tenant}-other`)),
    ).rejects.toMatchObject({ code: GrpcStatus.FAILED_PRECONDITION });
    await call('rejectOffer', { conversationId: 'conv-2', reason: 'not my area' }, bob);

    // Ann is full until conv-1 ends; then the router's tick offers conv-2 to her, not to Bob.
    const annOffers = watch(ann);
    await store.completeTask(tenant, 'conv-1');
    await expectEventually(
      () => expect(annOffers.map((offer) => offer.conversationId)).toContain('conv-2'),
      {
        timeoutMs: 10_000,
      },
    );
    expect(bobOffers.filter((offer) => offer.conversationId === 'conv-2')).toHaveLength(1);
  });

  it('takes an offline agent’s open offers back to the queue', async () => {
    const ann = await token('ann', tenant);
    await call('setPresence', { status: routerV1.PresenceStatus.OFFLINE }, ann);
    expect(await store.taskState(tenant, 'conv-2')).toMatchObject({ state: 'waiting' });
    await expect(call('heartbeat', {}, ann)).rejects.toMatchObject({
      code: GrpcStatus.FAILED_PRECONDITION,
    });
  });
});
