import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  credentials,
  makeGenericClientConstructor,
  Metadata,
  type ServiceError,
  status as GrpcStatus,
} from '@grpc/grpc-js';
import { routerAdminV1, routerV1 } from '@switchboard/contracts';
import {
  type ConversationEvent,
  decodeEnvelope,
  encodeEnvelope,
  type RoutingDecisionEvent,
  routingDecisionSchema,
  Topics,
} from '@switchboard/events';
import { createKafkaClient, type KafkaClient, type MessageProducer } from '@switchboard/kafka';
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
import { parse } from 'yaml';
import { AssignmentStore } from '../src/assignment/assignment.store';

/**
 * RoutingAdminService of a router running as its own process, called with a real grpc-js client:
 * roles, tenant isolation, the versioned configuration, explanations of a conversation the router
 * routed from a Kafka event, queue statistics, wait estimates and the Prometheus metrics.
 */

const SECRET = 'router-admin-e2e-secret-with-32-bytes!!';

type Unary = (
  request: object,
  metadata: Metadata,
  callback: (error: ServiceError | null, response?: unknown) => void,
) => void;
interface RawClient {
  close(): void;
  [method: string]: unknown;
}
const AdminClient = makeGenericClientConstructor(
  routerAdminV1.RoutingAdminServiceService,
  'RoutingAdminService',
);
const AgentClient = makeGenericClientConstructor(routerV1.AgentServiceService, 'AgentService');

async function token(
  subject: string,
  tenant: string,
  roles: string[],
  queues: string[] = [],
): Promise<string> {
  return new SignJWT({ tenant, roles, queues })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));
}

/** Unset message fields arrive as null from the loader, and as undefined when built here. */
function withoutUnset(value: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(value).filter(([, field]) => field !== null && field !== undefined),
  );
}

function metadataFor(bearer: string | undefined): Metadata {
  const metadata = new Metadata();
  if (bearer !== undefined) metadata.set('authorization', `Bearer ${bearer}`);
  return metadata;
}

const bootstrapEntry = `
    skills: [billing, tech.support]
    queues:
      - { id: chat, channel: chat, offerTimeoutSeconds: 600, requiredSkills: { billing: 3 } }
      - { id: mail, channel: email }
    agents:
      - { id: ann, skills: { billing: 5 }, capacity: { chat: 1, email: 2 } }
      - { id: bob, skills: { billing: 4 }, capacity: { chat: 1 } }
    queueSelection: { byChannel: { chat: chat, email: mail } }
`;

describe('router RoutingAdminService over gRPC', () => {
  jest.setTimeout(60_000);
  const context = createTestContext('router-admin-api');
  const tenant = context.tenantId;
  const otherTenant = `${tenant}-other`;
  const directory = mkdtempSync(join(tmpdir(), 'router-admin-e2e-'));
  let router: ServiceProcess;
  let replica: { process: ServiceProcess; grpcPort: number } | undefined;
  let admin: RawClient;
  let agents: RawClient;
  let redis: RedisClient;
  let store: AssignmentStore;
  let kafka: KafkaClient;
  let producer: MessageProducer;
  let supervisor: string;
  let otherSupervisor: string;
  let system: string;

  const call = <Res>(
    client: RawClient,
    method: string,
    request: object,
    bearer?: string,
  ): Promise<Res> =>
    new Promise((resolve, reject) => {
      const fn = (client[method] as Unary).bind(client);
      fn(request, metadataFor(bearer), (error, response) =>
        error ? reject(error) : resolve(response as Res),
      );
    });
  // The generic client encodes with the generated message functions, which expect every field.
  const requestDefaults: Record<string, object> = {
    putRoutingConfig: { document: '', expectedVersion: '0' },
    explainDecision: { decisionId: '', conversationId: '', limit: 0 },
    getQueueStats: { queueIds: [] },
    getWaitEstimate: { conversationId: '' },
  };
  const adminCall = <Res>(method: string, request: object, bearer?: string) =>
    call<Res>(admin, method, { ...requestDefaults[method], ...request }, bearer);

  const conversationEvent = (conversationId: string, channel: 'chat' | 'email') => {
    const event: ConversationEvent = {
      schemaVersion: 1,
      tenantId: tenant,
      eventId: `${conversationId}:1`,
      conversationId,
      sequence: 1,
      tenantCursor: 1,
      type: 'created',
      occurredAt: new Date().toISOString(),
      actor: { kind: 'customer', id: 'c-1' },
      triggersRouting: true,
      conversation: {
        channel,
        threadKey: conversationId,
        status: 'open',
        priority: 'normal',
        tags: [],
        contactId: 'c-1',
      },
      data: {},
    };
    return producer.send(context.topic(Topics.conversationEvents), [
      { key: conversationId, value: encodeEnvelope(event) },
    ]);
  };

  const configFile = join(directory, 'routing.yaml');
  /** A router process on this suite's database, Redis prefix and topics. */
  const startRouter = async (topicPrefix = context.topicPrefix) => {
    const grpcPort = await freePort();
    const process = spawnService('router', {
      httpPort: await freePort(),
      env: {
        KAFKA_BROKERS: context.stack.kafkaBrokers,
        KAFKA_TOPIC_PREFIX: topicPrefix,
        KAFKA_TOPIC_PARTITIONS: '2',
        MONGODB_URI: context.stack.mongodbUri,
        MONGODB_DATABASE: context.database,
        REDIS_URL: context.stack.redisUrl,
        REDIS_KEY_PREFIX: context.redisKeyPrefix,
        GRPC_PORT: String(grpcPort),
        AUTH_JWT_SECRET: SECRET,
        ROUTER_CONFIG_FILE: configFile,
        ROUTER_TICK_MS: '200',
        LOG_LEVEL: 'warn',
      },
    });
    await waitForHttpStatus(`${process.httpUrl}/health/ready`, 200, {
      timeoutMs: 60_000,
      process,
    });
    return { process, grpcPort };
  };

  beforeAll(async () => {
    writeFileSync(configFile, `tenants:\n  - tenant: ${tenant}${bootstrapEntry}`);
    const started = await startRouter();
    router = started.process;
    const grpcPort = started.grpcPort;
    admin = new AdminClient(`127.0.0.1:${grpcPort}`, credentials.createInsecure());
    agents = new AgentClient(`127.0.0.1:${grpcPort}`, credentials.createInsecure());
    redis = openRedisConnection({ url: context.stack.redisUrl, keyPrefix: context.redisKeyPrefix });
    await waitForRedisReady(redis);
    store = new AssignmentStore(redis);
    kafka = createKafkaClient({ brokers: [context.stack.kafkaBrokers], clientId: 'admin-e2e' });
    producer = kafka.createProducer();
    supervisor = await token('sue', tenant, ['supervisor']);
    otherSupervisor = await token('sue', otherTenant, ['supervisor']);
    system = await token('chat-gateway', tenant, ['system']);
  }, 90_000);

  afterAll(async () => {
    admin?.close();
    agents?.close();
    await producer?.disconnect();
    await kafka?.close();
    await closeRedisConnection(redis);
    await router?.stop('SIGTERM');
    await replica?.process.stop('SIGTERM');
    rmSync(directory, { recursive: true, force: true });
  });

  it('refuses callers without a valid token or the role an RPC needs', async () => {
    await expect(adminCall('getRoutingConfig', {})).rejects.toMatchObject({
      code: GrpcStatus.UNAUTHENTICATED,
    });
    const forged = `${supervisor.slice(0, -2)}xx`;
    await expect(adminCall('getRoutingConfig', {}, forged)).rejects.toMatchObject({
      code: GrpcStatus.UNAUTHENTICATED,
    });
    const agent = await token('ann', tenant, ['agent'], ['chat']);
    for (const [method, request] of [
      ['getRoutingConfig', {}],
      ['putRoutingConfig', { document: 'queues: []' }],
      ['explainDecision', { conversationId: 'x' }],
      ['getWaitEstimate', { conversationId: 'x' }],
    ] as const) {
      await expect(adminCall(method, request, agent)).rejects.toMatchObject({
        code: GrpcStatus.PERMISSION_DENIED,
      });
    }
    await expect(adminCall('getRoutingConfig', {}, system)).rejects.toMatchObject({
      code: GrpcStatus.PERMISSION_DENIED,
    });
    await expect(adminCall('getQueueStats', {}, system)).rejects.toMatchObject({
      code: GrpcStatus.PERMISSION_DENIED,
    });
  });

  it('returns the bootstrapped configuration as YAML with its version, to its tenant only', async () => {
    const config = await adminCall<routerAdminV1.GetRoutingConfigResponse>(
      'getRoutingConfig',
      {},
      supervisor,
    );
    expect(config.version).toBe('1');
    expect(config.updatedAt).toBeInstanceOf(Date);
    const document = parse(config.document) as Record<string, unknown>;
    expect(document['tenant']).toBeUndefined();
    expect(document).toMatchObject({
      skills: ['billing', 'tech.support'],
      queues: [{ id: 'chat', channel: 'chat', requiredSkills: { billing: 3 } }, { id: 'mail' }],
      agents: [{ id: 'ann' }, { id: 'bob' }],
    });
    const other = await adminCall<routerAdminV1.GetRoutingConfigResponse>(
      'getRoutingConfig',
      {},
      otherSupervisor,
    );
    expect(other).toMatchObject({ document: '', version: '0' });
  });

  it('replaces the configuration under optimistic concurrency and projects it into Redis', async () => {
    // A second replica (its own process; topics of its own, so it routes nothing of this suite).
    replica = await startRouter(`${context.topicPrefix}replica.`);
    const replicaAgents = new AgentClient(
      `127.0.0.1:${replica.grpcPort}`,
      credentials.createInsecure(),
    );
    const carl = await token('carl', tenant, ['agent']);
    await expect(
      call(replicaAgents, 'setPresence', { status: routerV1.PresenceStatus.AWAY }, carl),
    ).rejects.toMatchObject({ code: GrpcStatus.FAILED_PRECONDITION });
    const current = await adminCall<routerAdminV1.GetRoutingConfigResponse>(
      'getRoutingConfig',
      {},
      supervisor,
    );
    // The replica found the bootstrap file unchanged and wrote no version of its own.
    expect(current.version).toBe('1');
    const document = parse(current.document) as { agents: Record<string, unknown>[] };
    document.agents.push({ id: 'carl', skills: { billing: 9 }, capacity: { chat: 2 } });

    // Five supervisors save their change on top of the same version: exactly one wins.
    const attempts = await Promise.allSettled(
      [1, 2, 3, 4, 5].map(() =>
        adminCall<routerAdminV1.PutRoutingConfigResponse>(
          'putRoutingConfig',
          { document: JSON.stringify(document), expectedVersion: current.version },
          supervisor,
        ),
      ),
    );
    const won = attempts.filter((attempt) => attempt.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(won[0]).toMatchObject({ value: { version: '2' } });
    for (const attempt of attempts.filter((each) => each.status === 'rejected')) {
      expect(attempt.reason).toMatchObject({ code: GrpcStatus.ABORTED });
      expect((attempt.reason as ServiceError).details).toContain('version 2, not 1');
    }
    expect((await store.queuesOfAgent(tenant, 'carl')).sort()).toEqual(['chat', 'mail']);

    // The replica, which read version 1 before, applies version 2 without a restart.
    const presence = await expectEventually(
      () =>
        call<routerV1.SetPresenceResponse>(
          replicaAgents,
          'setPresence',
          { status: routerV1.PresenceStatus.AWAY },
          carl,
        ),
      { timeoutMs: 10_000 },
    );
    expect(presence.presence?.status).toBe(routerV1.PresenceStatus.AWAY);
    replicaAgents.close();
    await replica.process.stop('SIGTERM');

    // A stale version is refused; version 0 overwrites whatever is stored.
    await expect(
      adminCall(
        'putRoutingConfig',
        { document: current.document, expectedVersion: '1' },
        supervisor,
      ),
    ).rejects.toMatchObject({ code: GrpcStatus.ABORTED });
    const withoutCarl = await adminCall<routerAdminV1.PutRoutingConfigResponse>(
      'putRoutingConfig',
      { document: current.document, expectedVersion: '0' },
      supervisor,
    );
    expect(withoutCarl.version).toBe('3');
    // The dropped agent is out of every queue.
    expect(await store.queuesOfAgent(tenant, 'carl')).toEqual([]);
    const reread = await adminCall<routerAdminV1.GetRoutingConfigResponse>(
      'getRoutingConfig',
      {},
      supervisor,
    );
    expect(reread.version).toBe('3');
    expect(reread.document).toBe(current.document);

    // Another tenant's supervisor writes its own tenant, never this one.
    const other = await adminCall<routerAdminV1.PutRoutingConfigResponse>(
      'putRoutingConfig',
      { document: 'queues: [{ id: q, channel: chat }]' },
      otherSupervisor,
    );
    expect(other.version).toBe('1');
    expect(
      (await adminCall<routerAdminV1.GetRoutingConfigResponse>('getRoutingConfig', {}, supervisor))
        .version,
    ).toBe('3');
  });

  it('answers INVALID_ARGUMENT naming the path of what is wrong in a document', async () => {
    const invalid = async (request: object, details: string | RegExp) => {
      const error = await adminCall('putRoutingConfig', request, supervisor).catch(
        (failure: unknown) => failure,
      );
      expect(error).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });
      expect((error as ServiceError).details).toMatch(details);
    };
    await invalid({ document: '' }, 'document: is required');
    await invalid({ document: 'queues: [' }, /^document: is not valid YAML or JSON/);
    await invalid({ document: '- a list' }, /^document: must be a mapping/);
    await invalid(
      { document: `tenant: ${otherTenant}\nqueues: []` },
      "document.tenant: must be the caller's tenant or left out",
    );
    await invalid(
      {
        document: JSON.stringify({
          skills: ['billing'],
          queues: [{ id: 'chat', channel: 'fax' }],
          agents: [{ id: 'ann', skills: { billing: 11 } }],
        }),
      },
      /^document\.queues\.0\.channel: .*; document\.agents\.0\.skills\.billing: proficiency must be between 1 and 10$/,
    );
    await invalid(
      { document: 'skills: [billing]\nagents: [{ id: ann, skills: { cooking: 3 } }]' },
      'document.agents.0.skills.cooking: unknown skill "cooking"',
    );
    await invalid({ document: 'queues: []', expectedVersion: '-1' }, /^expected_version: /);
    expect(
      (await adminCall<routerAdminV1.GetRoutingConfigResponse>('getRoutingConfig', {}, supervisor))
        .version,
    ).toBe('3');
  });

  it('explains the decisions of a conversation routed from its Kafka event', async () => {
    const ann = await token('ann', tenant, ['agent'], ['chat']);
    await expectEventually(() =>
      call(agents, 'setPresence', { status: routerV1.PresenceStatus.AVAILABLE }, ann),
    );
    await conversationEvent('conv-routed', 'chat');

    const explained = await expectEventually(
      async () => {
        const response = await adminCall<routerAdminV1.ExplainDecisionResponse>(
          'explainDecision',
          { conversationId: 'conv-routed' },
          supervisor,
        );
        expect(response.decisions.map((decision) => decision.type)).toEqual(['offered', 'queued']);
        return response.decisions;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const [offered, queued] = explained;
    expect(queued).toMatchObject({ conversationId: 'conv-routed', queueId: 'chat' });
    expect(queued?.reason).toContain('created');
    expect(queued?.rules).toEqual(expect.arrayContaining(['channel chat → queue chat']));
    expect(offered).toMatchObject({
      queueId: 'chat',
      agentId: 'ann',
      strategy: 'longest_idle',
    });
    expect(offered?.offerExpiresAt).toBeInstanceOf(Date);
    expect(offered?.candidates).toContainEqual(
      expect.objectContaining({ agentId: 'ann', chosen: true }),
    );
    expect(offered?.decidedAt?.getTime()).toBeGreaterThanOrEqual(
      queued?.decidedAt?.getTime() ?? Number.POSITIVE_INFINITY,
    );

    // Exactly as published on the routing-decisions topic: reason, rules, strategy, candidates.
    const published: RoutingDecisionEvent[] = [];
    const reader = kafka.createConsumer({
      groupId: `${context.topicPrefix}test-decision-reader`,
      topics: [context.topic(Topics.routingDecisions)],
      fromBeginning: true,
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 1_000,
      handler: async (message) => {
        const event = decodeEnvelope('routing decision', routingDecisionSchema, message.value);
        if (event.conversationId === 'conv-routed') published.push(event);
      },
    });
    await reader.start();
    try {
      await expectEventually(() => expect(published).toHaveLength(2), { timeoutMs: 20_000 });
    } finally {
      await reader.stop();
    }
    const asExplained = published.map((event) => ({
      decisionId: event.decisionId,
      conversationId: event.conversationId,
      queueId: event.queueId,
      type: event.type,
      agentId: event.agentId ?? '',
      decidedAt: new Date(event.decidedAt),
      offerExpiresAt: event.offerExpiresAt ? new Date(event.offerExpiresAt) : undefined,
      reason: event.explanation.reason,
      rules: event.explanation.rules,
      strategy: event.explanation.strategy ?? '',
      candidates: event.explanation.candidates,
    }));
    expect(explained.map(withoutUnset)).toEqual(asExplained.reverse().map(withoutUnset));

    const byId = await adminCall<routerAdminV1.ExplainDecisionResponse>(
      'explainDecision',
      { decisionId: offered!.decisionId },
      supervisor,
    );
    expect(byId.decisions).toEqual([offered]);
    const latestOnly = await adminCall<routerAdminV1.ExplainDecisionResponse>(
      'explainDecision',
      { conversationId: 'conv-routed', limit: 1 },
      supervisor,
    );
    expect(latestOnly.decisions).toEqual([offered]);

    // Another tenant's supervisor cannot see them, by either id.
    await expect(
      adminCall('explainDecision', { decisionId: offered!.decisionId }, otherSupervisor),
    ).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND });
    await expect(
      adminCall('explainDecision', { conversationId: 'conv-routed' }, otherSupervisor),
    ).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND });

    for (const [request, field] of [
      [{}, 'decision_id'],
      [{ decisionId: 'a', conversationId: 'b' }, 'decision_id'],
      [{ conversationId: 'conv-routed', limit: 101 }, 'limit'],
      [{ conversationId: 'conv-routed', limit: -1 }, 'limit'],
    ] as const) {
      const error = await adminCall('explainDecision', request, supervisor).catch(
        (failure: unknown) => failure,
      );
      expect(error).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });
      expect((error as ServiceError).details.startsWith(`${field}: `)).toBe(true);
    }
  });

  it('reports queue statistics and wait estimates of waiting conversations', async () => {
    // Ann holds conv-routed (capacity 1 on chat), Bob is offline: new chats wait.
    const enqueuedAt = Date.now() - 90_000;
    for (const [index, taskId] of ['wait-1', 'wait-2', 'wait-3'].entries()) {
      await store.enqueueTask(tenant, {
        taskId,
        queueId: 'chat',
        channel: 'chat',
        units: 1,
        language: '',
        requiredSkills: {},
        priority: 1,
        enqueuedAt: enqueuedAt + index * 1_000,
      });
    }
    const stats = await adminCall<routerAdminV1.GetQueueStatsResponse>(
      'getQueueStats',
      {},
      supervisor,
    );
    expect(stats.queues.map((queue) => queue.queueId)).toEqual(['chat', 'mail']);
    const chat = stats.queues[0]!;
    expect(chat).toMatchObject({
      waiting: '3',
      agentsAvailable: '0',
      agentsOnline: '1',
      offersOpen: '1',
      openNow: true,
    });
    expect(chat.longestWaitSeconds).toBeGreaterThanOrEqual(90);
    expect(chat.longestWaitSeconds).toBeLessThan(150);
    // conv-routed was offered right after it was queued.
    expect(chat.recentMedianWaitSeconds).toBeGreaterThanOrEqual(0);
    expect(chat.recentMedianWaitSeconds).toBeLessThan(10);
    expect(stats.queues[1]).toMatchObject({ queueId: 'mail', waiting: '0', agentsAvailable: '1' });

    // Agents see the queues their token names, and only those.
    const annStats = await adminCall<routerAdminV1.GetQueueStatsResponse>(
      'getQueueStats',
      {},
      await token('ann', tenant, ['agent'], ['chat']),
    );
    expect(annStats.queues.map((queue) => queue.queueId)).toEqual(['chat']);
    await expect(
      adminCall(
        'getQueueStats',
        { queueIds: ['mail'] },
        await token('ann', tenant, ['agent'], ['chat']),
      ),
    ).rejects.toMatchObject({ code: GrpcStatus.PERMISSION_DENIED });
    await expect(
      adminCall('getQueueStats', { queueIds: ['nope'] }, supervisor),
    ).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND });
    await expect(
      adminCall('getQueueStats', { queueIds: ['chat'] }, otherSupervisor),
    ).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND });
    const empty = await adminCall('getQueueStats', { queueIds: [''] }, supervisor).catch(
      (failure: unknown) => failure,
    );
    expect(empty).toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
      details: 'queue_ids[0]: is empty',
    });

    const estimate = (conversationId: string, bearer = system) =>
      adminCall<routerAdminV1.GetWaitEstimateResponse>(
        'getWaitEstimate',
        { conversationId },
        bearer,
      );
    expect(await estimate('wait-2')).toMatchObject({
      state: routerAdminV1.WaitState.WAITING,
      queueId: 'chat',
      position: '2',
      agentsAvailable: '0',
      agentsOnline: true,
      openNow: true,
    });
    expect((await estimate('wait-1', supervisor)).position).toBe('1');
    expect(await estimate('conv-routed')).toMatchObject({
      state: routerAdminV1.WaitState.OFFERED,
      position: '0',
    });
    expect(await estimate('never-seen')).toMatchObject({
      state: routerAdminV1.WaitState.NOT_QUEUED,
      agentsOnline: false,
    });
    // Another tenant's caller learns nothing about this tenant's conversation.
    expect(
      await estimate('wait-2', await token('chat-gateway', otherTenant, ['system'])),
    ).toMatchObject({ state: routerAdminV1.WaitState.NOT_QUEUED, queueId: '', position: '0' });
    await expect(
      adminCall('getWaitEstimate', { conversationId: '' }, system),
    ).rejects.toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
      details: 'conversation_id: is required',
    });

    // With Ann offline, no eligible agent is online: the widget offers its message form.
    await call(
      agents,
      'setPresence',
      { status: routerV1.PresenceStatus.OFFLINE },
      await token('ann', tenant, ['agent']),
    );
    expect(await estimate('wait-2')).toMatchObject({
      state: routerAdminV1.WaitState.WAITING,
      agentsOnline: false,
    });

    // A queue outside its business hours is reported closed.
    const current = await adminCall<routerAdminV1.GetRoutingConfigResponse>(
      'getRoutingConfig',
      {},
      supervisor,
    );
    const document = parse(current.document) as { queues: Record<string, unknown>[] };
    document.queues[1]!['businessHours'] = {
      timeZone: 'UTC',
      weekly: [
        { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], open: '00:00', close: '00:00' },
      ],
      closedDates: [new Date().toISOString().slice(0, 10)],
    };
    await adminCall(
      'putRoutingConfig',
      { document: JSON.stringify(document), expectedVersion: current.version },
      supervisor,
    );
    const afterHours = await adminCall<routerAdminV1.GetQueueStatsResponse>(
      'getQueueStats',
      { queueIds: ['chat', 'mail'] },
      supervisor,
    );
    expect(afterHours.queues.map((queue) => [queue.queueId, queue.openNow])).toEqual([
      ['chat', true],
      ['mail', false],
    ]);
  });

  it('exposes router metrics on GET /metrics', async () => {
    const body = await expectEventually(async () => {
      const text = await (await fetch(`${router.httpUrl}/metrics`)).text();
      expect(text).toMatch(/switchboard_router_wait_seconds_count\{[^}]*queue="chat"[^}]*\} 1/);
      return text;
    });
    const labels = `tenant="${tenant}"`;
    // conv-routed went back to the queue when Ann went offline: four are waiting now.
    expect(body).toContain(
      `switchboard_router_waiting_tasks{${labels},queue="chat",service="router"} 4`,
    );
    expect(body).toContain(
      `switchboard_router_waiting_tasks{${labels},queue="mail",service="router"} 0`,
    );
    expect(body).toContain(
      `switchboard_router_agents{${labels},status="offline",service="router"} 2`,
    );
    expect(body).toContain(
      `switchboard_router_capacity_units{${labels},channel="chat",kind="in_use",service="router"} 0`,
    );
    // This replica offered conv-routed once; Ann going offline released it (neither rejected nor
    // timed out).
    expect(body).toContain(
      `switchboard_router_offers_total{${labels},queue="chat",outcome="sent",service="router"} 1`,
    );
    expect(body).not.toMatch(
      new RegExp(
        `switchboard_router_offers_total\\{${labels},queue="chat",outcome="(rejected|timed_out)"`,
      ),
    );
    expect(body).toMatch(
      /switchboard_router_decision_latency_seconds_count\{[^}]*trigger="conversation_event"[^}]*\} [1-9]/,
    );
  });
});
