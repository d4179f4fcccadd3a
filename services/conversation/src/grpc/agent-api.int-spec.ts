import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { commonV1, conversationV1 } from '@switchboard/contracts';
import {
  deadLetterTopicOf,
  decodeEnvelope,
  encodeEnvelope,
  outboundMessageSchema,
} from '@switchboard/events';
import { createKafkaClient, type KafkaClient, type MessageProducer } from '@switchboard/kafka';
import {
  createTestContext,
  expectEventually,
  waitForHttpStatus,
  type TestContext,
} from '@switchboard/testing';
import {
  encode,
  freeTcpPort,
  inboundMessage,
  topicNamesWithDeadLetters,
} from '../../test/conversation-harness';
import { ConversationTestClient, signToken, TEST_JWT_SECRET } from '../../test/grpc-test-client';
import { AppModule } from '../app.module';
import { conversationEnvSchema } from '../config/conversation.config';
import type { ConversationTopics } from '../conversations/conversation-topics';
import { startGrpcServer } from './start-grpc-server';
import { openMongoConnection } from '@switchboard/mongo';

type Conversation = conversationV1.Conversation;
const one = (response: { conversation?: Conversation }): Conversation => {
  if (!response.conversation) throw new Error('no conversation in response');
  return response.conversation;
};

describe('the agent gRPC API (service in-process, real Kafka and MongoDB wire)', () => {
  let context: TestContext;
  let app: INestApplication;
  let client: ConversationTestClient;
  let kafka: KafkaClient;
  let producer: MessageProducer;
  let topics: ConversationTopics;
  let httpUrl: string;
  let supervisor: string;
  let otherTenantSupervisor: string;

  beforeAll(async () => {
    context = createTestContext('conversation grpc');
    topics = {
      inboundMessages: context.topic('inbound'),
      conversationEvents: context.topic('conversation-events'),
      outboundMessages: context.topic('outbound'),
      deliveryStatus: context.topic('delivery-status'),
    };
    const config = conversationEnvSchema.parse({
      KAFKA_BROKERS: context.stack.kafkaBrokers,
      MONGODB_URI: context.stack.mongodbUri,
      MONGODB_DATABASE: context.database,
      KAFKA_TOPIC_PARTITIONS: '2',
      LOG_LEVEL: 'silent',
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      SNOOZE_POLL_INTERVAL_MS: '200',
      WATCH_POLL_INTERVAL_MS: '100',
    });
    app = await NestFactory.create(
      AppModule.forRoot(config, {
        conversation: {
          topics,
          consumerGroupId: `${context.topicPrefix}conversation`,
          kafkaConsumerTuning: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 },
        },
      }),
      { logger: false },
    );
    await app.listen(0, '127.0.0.1');
    httpUrl = await app.getUrl();
    const grpcPort = await freeTcpPort();
    await startGrpcServer(app, '127.0.0.1', grpcPort);
    await waitForHttpStatus(`${httpUrl.replace('[::1]', '127.0.0.1')}/health/ready`, 200, {
      timeoutMs: 40_000,
    });
    client = new ConversationTestClient(`127.0.0.1:${grpcPort}`);
    kafka = createKafkaClient({
      brokers: context.stack.kafkaBrokers.split(','),
      clientId: 'grpc-test',
    });
    producer = kafka.createProducer();
    supervisor = await signToken({ sub: 'sup-1', tenant: context.tenantId, roles: ['supervisor'] });
    otherTenantSupervisor = await signToken({
      sub: 'sup-b',
      tenant: `${context.tenantId}-b`,
      roles: ['supervisor'],
    });
  }, 90_000);

  afterAll(async () => {
    client?.close();
    await producer?.disconnect();
    await app?.close();
    const names = [
      ...topicNamesWithDeadLetters(topics),
      topics.deliveryStatus ?? '',
      deadLetterTopicOf(topics.deliveryStatus ?? ''),
    ];
    await kafka
      ?.admin()
      .deleteTopics(names)
      .catch(() => undefined);
    await kafka?.close();
    const connection = openMongoConnection({
      uri: context.stack.mongodbUri,
      database: context.database,
    });
    await connection.asPromise();
    await connection.dropDatabase();
    await connection.close();
  }, 30_000);

  /** Produces a customer message and waits until the service shows its conversation. */
  async function customerWrites(
    overrides: Parameters<typeof inboundMessage>[1] = {},
  ): Promise<Conversation> {
    const message = inboundMessage(context.tenantId, overrides);
    await producer.send(topics.inboundMessages, [
      { key: message.threadKey, value: encode(message) },
    ]);
    return expectEventually(
      async () => {
        const { conversations } = await client.call<
          conversationV1.ListConversationsRequest,
          conversationV1.ListConversationsResponse
        >(
          'listConversations',
          {
            statuses: [],
            queueId: '',
            assigneeId: '',
            channel: 0,
            tag: '',
            contactId: '',
            page: { pageSize: 200, pageToken: '' },
          },
          supervisor,
        );
        const found = conversations.find((c) => c.threadKey === message.threadKey);
        // Created (1) and the message appended (2): ingestion is done with it.
        expect(Number(found?.lastSequence ?? 0)).toBeGreaterThanOrEqual(2);
        return found as Conversation;
      },
      { timeoutMs: 20_000 },
    );
  }

  async function expectStatus(
    promise: Promise<unknown>,
    code: GrpcStatus,
    detail?: string,
  ): Promise<void> {
    const error = (await promise.then(
      () => undefined,
      (failure: unknown) => failure,
    )) as ServiceError | undefined;
    expect(error?.code).toBe(code);
    if (detail) expect(error?.details).toContain(detail);
  }

  it('answers UNAUTHENTICATED without a valid bearer token', async () => {
    const request = { conversationId: 'cv_x' };
    await expectStatus(
      client.call('getConversation', request),
      GrpcStatus.UNAUTHENTICATED,
      'missing bearer token',
    );
    await expectStatus(
      client.call('getConversation', request, 'not-a-jwt'),
      GrpcStatus.UNAUTHENTICATED,
    );
    const forged = await signToken(
      { sub: 'sup-1', tenant: context.tenantId, roles: ['supervisor'] },
      'another-secret-that-is-also-32-bytes-long!',
    );
    await expectStatus(
      client.call('getConversation', request, forged),
      GrpcStatus.UNAUTHENTICATED,
      'not valid',
    );
  });

  it('lets agents see only their assignments and queues, and replies idempotently through the outbound topic', async () => {
    const conversation = await customerWrites();
    const agent = await signToken({
      sub: 'agent-1',
      tenant: context.tenantId,
      queues: ['billing'],
    });
    await expectStatus(
      client.call('getConversation', { conversationId: conversation.id }, agent),
      GrpcStatus.NOT_FOUND,
    );

    const assigned = one(
      await client.call(
        'assign',
        {
          conversationId: conversation.id,
          assigneeId: 'agent-1',
          queueId: 'support',
          reason: 'VIP customer',
        },
        supervisor,
      ),
    );
    expect(assigned).toMatchObject({ assigneeId: 'agent-1', queueId: 'support' });
    expect(
      one(await client.call('getConversation', { conversationId: conversation.id }, agent)).id,
    ).toBe(conversation.id);

    const outbound = await collect(topics.outboundMessages);
    const reply = {
      conversationId: conversation.id,
      clientRequestId: 'req-1',
      text: 'On its way!',
      html: '<p onclick="x()">On its <b>way</b><script>alert(1)</script></p>',
    };
    const first = await client.call<typeof reply, conversationV1.SendMessageResponse>(
      'sendMessage',
      reply,
      agent,
    );
    const retried = await client.call<typeof reply, conversationV1.SendMessageResponse>(
      'sendMessage',
      reply,
      agent,
    );
    expect(retried.message?.id).toBe(first.message?.id);
    expect(first.message?.html).toBe('<p>On its <b>way</b></p>');

    const { messages } = await client.call<unknown, conversationV1.ListMessagesResponse>(
      'listMessages',
      { conversationId: conversation.id },
      agent,
    );
    expect(messages.map((m) => m.direction)).toEqual([
      conversationV1.MessageDirection.INBOUND,
      conversationV1.MessageDirection.OUTBOUND,
    ]);
    await expectEventually(() => expect(outbound.length).toBeGreaterThanOrEqual(1), {
      timeoutMs: 20_000,
    });
    const envelope = decodeEnvelope(
      'outbound message',
      outboundMessageSchema,
      outbound[0]?.value ?? null,
    );
    expect(envelope).toMatchObject({
      messageId: first.message?.id,
      conversationId: conversation.id,
      recipient: { value: 'ada@example.com' },
    });
    expect(
      new Set(outbound.map((m) => decodeEnvelope('o', outboundMessageSchema, m.value).messageId))
        .size,
    ).toBe(1);

    const afterReply = one(
      await client.call('getConversation', { conversationId: conversation.id }, agent),
    );
    expect(afterReply.sla?.firstResponseAt).toBeInstanceOf(Date);
  }, 60_000);

  async function collect(topic: string) {
    const received: Array<{ value: Buffer | null }> = [];
    const consumer = kafka.createConsumer({
      groupId: `${context.topicPrefix}collect-${Math.random()}`,
      topics: [topic],
      handler: async (message) => {
        received.push(message);
      },
      fromBeginning: true,
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 500,
    });
    await consumer.start();
    consumers.push(consumer);
    return received;
  }
  const consumers: Array<{ stop(): Promise<void> }> = [];
  afterAll(async () => {
    await Promise.all(consumers.map((consumer) => consumer.stop()));
  });

  it('gives another tenant NOT_FOUND or nothing on every RPC', async () => {
    const conversation = await customerWrites();
    const id = conversation.id;
    const token = otherTenantSupervisor;
    const notFound: Array<[keyof conversationV1.ConversationServiceController, object]> = [
      ['getConversation', { conversationId: id }],
      ['listMessages', { conversationId: id }],
      ['sendMessage', { conversationId: id, clientRequestId: 'x', text: 'hi' }],
      ['addNote', { conversationId: id, clientRequestId: 'x', text: 'hi' }],
      ['setTags', { conversationId: id, tags: ['x'] }],
      ['setPriority', { conversationId: id, priority: commonV1.Priority.HIGH }],
      ['assign', { conversationId: id, assigneeId: 'a', reason: 'r' }],
      ['resolve', { conversationId: id }],
      ['reopen', { conversationId: id }],
      ['snooze', { conversationId: id, until: new Date(Date.now() + 60_000) }],
      ['setActivity', { conversationId: id, kind: conversationV1.ActivityKind.TYPING }],
    ];
    for (const [method, request] of notFound) {
      await expectStatus(client.call(method, request, token), GrpcStatus.NOT_FOUND);
    }
    const listed = await client.call<object, conversationV1.ListConversationsResponse>(
      'listConversations',
      {},
      token,
    );
    expect(listed.conversations).toEqual([]);
    const history = await client.call<object, conversationV1.GetContactHistoryResponse>(
      'getContactHistory',
      { contactId: conversation.contactId },
      token,
    );
    expect(history.conversations).toEqual([]);
    const watch = client.watch({ conversationId: id }, token);
    await expectEventually(() => expect(watch.error()?.code).toBe(GrpcStatus.NOT_FOUND));
    // Nothing changed in tenant A.
    const unchanged = one(await client.call('getConversation', { conversationId: id }, supervisor));
    expect(unchanged).toMatchObject({
      status: conversationV1.ConversationStatus.OPEN,
      tags: [],
      assigneeId: '',
    });
  }, 60_000);

  it('lets a system token read its whole tenant but change nothing, and not see another tenant', async () => {
    const conversation = await customerWrites();
    const id = conversation.id;
    // Unassigned and in no queue: an agent token could not see it, a system token can.
    const system = await signToken({
      sub: 'chat-gateway',
      tenant: context.tenantId,
      roles: ['system'],
    });
    expect(one(await client.call('getConversation', { conversationId: id }, system)).id).toBe(id);
    // A message is listed once the outbox marked it applied, just after the change committed.
    await expectEventually(async () => {
      const { messages } = await client.call<object, conversationV1.ListMessagesResponse>(
        'listMessages',
        { conversationId: id },
        system,
      );
      expect(messages.map((m) => m.text)).toEqual(['Where is my parcel?']);
    });
    const listed = await client.call<object, conversationV1.ListConversationsResponse>(
      'listConversations',
      { page: { pageSize: 200, pageToken: '' } },
      system,
    );
    expect(listed.conversations.map((c) => c.id)).toContain(id);
    const history = await client.call<object, conversationV1.GetContactHistoryResponse>(
      'getContactHistory',
      { contactId: conversation.contactId },
      system,
    );
    expect(history.conversations.map((c) => c.id)).toContain(id);
    const watch = client.watch({ tenant: {} }, system);
    // The watch is live once a supervisor's change reaches it.
    await expectEventually(async () => {
      await client.call('setTags', { conversationId: id, tags: [`w${Date.now()}`] }, supervisor);
      expect(watch.events.some((e) => e.conversationId === id)).toBe(true);
    });

    const writes: Array<[keyof conversationV1.ConversationServiceController, object]> = [
      ['sendMessage', { conversationId: id, clientRequestId: 'x', text: 'hi' }],
      ['addNote', { conversationId: id, clientRequestId: 'x', text: 'hi' }],
      ['setTags', { conversationId: id, tags: ['x'] }],
      ['setPriority', { conversationId: id, priority: commonV1.Priority.HIGH }],
      ['assign', { conversationId: id, assigneeId: 'a', reason: 'r' }],
      ['assign', { conversationId: id, queueId: 'billing', reason: 'transfer' }],
      ['resolve', { conversationId: id }],
      ['reopen', { conversationId: id }],
      ['snooze', { conversationId: id, until: new Date(Date.now() + 60_000) }],
      ['setActivity', { conversationId: id, kind: conversationV1.ActivityKind.TYPING }],
    ];
    for (const [method, request] of writes) {
      await expectStatus(
        client.call(method, request, system),
        GrpcStatus.PERMISSION_DENIED,
        'system role',
      );
    }
    // Supervisor rights in the same token do not lift the read-only role.
    const mixed = await signToken({
      sub: 'chat-gateway',
      tenant: context.tenantId,
      roles: ['system', 'supervisor'],
    });
    await expectStatus(
      client.call('resolve', { conversationId: id }, mixed),
      GrpcStatus.PERMISSION_DENIED,
    );
    const after = one(await client.call('getConversation', { conversationId: id }, supervisor));
    expect(after).toMatchObject({
      status: conversationV1.ConversationStatus.OPEN,
      assigneeId: '',
      queueId: '',
    });
    expect(after.tags).not.toContain('x');
    const afterMessages = await client.call<object, conversationV1.ListMessagesResponse>(
      'listMessages',
      { conversationId: id },
      supervisor,
    );
    expect(afterMessages.messages).toHaveLength(1);
    expect(watch.events.some((e) => e.activity)).toBe(false);
    watch.cancel();

    const otherTenantSystem = await signToken({
      sub: 'chat-gateway',
      tenant: `${context.tenantId}-b`,
      roles: ['system'],
    });
    await expectStatus(
      client.call('getConversation', { conversationId: id }, otherTenantSystem),
      GrpcStatus.NOT_FOUND,
    );
    await expectStatus(
      client.call('listMessages', { conversationId: id }, otherTenantSystem),
      GrpcStatus.NOT_FOUND,
    );
    const foreignList = await client.call<object, conversationV1.ListConversationsResponse>(
      'listConversations',
      {},
      otherTenantSystem,
    );
    expect(foreignList.conversations).toEqual([]);
    const foreignHistory = await client.call<object, conversationV1.GetContactHistoryResponse>(
      'getContactHistory',
      { contactId: conversation.contactId },
      otherTenantSystem,
    );
    expect(foreignHistory.conversations).toEqual([]);
    const foreignWatch = client.watch({ conversationId: id }, otherTenantSystem);
    await expectEventually(() => expect(foreignWatch.error()?.code).toBe(GrpcStatus.NOT_FOUND));
  }, 60_000);

  it("shows watchers a reply's delivery ticks from the gateways' reports", async () => {
    const conversation = await customerWrites();
    const watch = client.watch({ conversationId: conversation.id }, supervisor);
    const { message: reply } = await client.call<object, conversationV1.SendMessageResponse>(
      'sendMessage',
      { conversationId: conversation.id, clientRequestId: `tick-${conversation.id}`, text: 'Hi' },
      supervisor,
    );
    expect(reply?.deliveryStatus).toBe('queued');
    await producer.send(topics.deliveryStatus ?? '', [
      {
        key: conversation.id,
        value: encodeEnvelope({
          schemaVersion: 1,
          tenantId: context.tenantId,
          messageId: reply?.id,
          conversationId: conversation.id,
          channel: 'email',
          status: 'delivered',
          occurredAt: new Date().toISOString(),
        }),
      },
    ]);
    const tick = await expectEventually(
      () => {
        const update = watch.events.find((e) => e.messageAdded?.deliveryStatus === 'delivered');
        expect(update?.messageAdded?.id).toBe(reply?.id);
        return update;
      },
      { timeoutMs: 30_000 },
    );
    // An update, not an addition: the message was added by an earlier event.
    expect(Number(tick?.messageAdded?.conversationSequence)).toBeLessThan(
      Number(tick?.conversationSequence),
    );
    const { messages } = await client.call<object, conversationV1.ListMessagesResponse>(
      'listMessages',
      { conversationId: conversation.id },
      supervisor,
    );
    expect(messages.find((m) => m.id === reply?.id)?.deliveryStatus).toBe('delivered');
    watch.cancel();
  }, 60_000);

  it('names the bad field with INVALID_ARGUMENT', async () => {
    const conversation = await customerWrites();
    await expectStatus(
      client.call(
        'setTags',
        { conversationId: conversation.id, tags: ['ok', ' bad\n'] },
        supervisor,
      ),
      GrpcStatus.INVALID_ARGUMENT,
      'tags',
    );
    await expectStatus(
      client.call(
        'snooze',
        { conversationId: conversation.id, until: new Date(Date.now() - 1_000) },
        supervisor,
      ),
      GrpcStatus.INVALID_ARGUMENT,
      'until',
    );
    await expectStatus(
      client.call(
        'sendMessage',
        { conversationId: conversation.id, clientRequestId: '', text: 'x' },
        supervisor,
      ),
      GrpcStatus.INVALID_ARGUMENT,
      'client_request_id',
    );
    await expectStatus(
      client.call('getConversation', { conversationId: '' }, supervisor),
      GrpcStatus.INVALID_ARGUMENT,
      'conversation_id',
    );
    await expectStatus(
      client.call('listConversations', { page: { pageSize: 2, pageToken: 'garbage' } }, supervisor),
      GrpcStatus.INVALID_ARGUMENT,
      'page.page_token',
    );
    const agent = await signToken({ sub: 'agent-2', tenant: context.tenantId });
    const watch = client.watch({ tenant: {} }, agent);
    await expectEventually(() => expect(watch.error()?.code).toBe(GrpcStatus.PERMISSION_DENIED));
  }, 60_000);

  it('pages in a stable order while conversations are added', async () => {
    const tag = `page-${Date.now()}`;
    const tagged: string[] = [];
    for (let index = 0; index < 7; index += 1) {
      const conversation = await customerWrites();
      await client.call('setTags', { conversationId: conversation.id, tags: [tag] }, supervisor);
      tagged.push(conversation.id);
    }
    const seen: string[] = [];
    let pageToken = '';
    do {
      const page = await client.call<object, conversationV1.ListConversationsResponse>(
        'listConversations',
        { tag, page: { pageSize: 3, pageToken } },
        supervisor,
      );
      seen.push(...page.conversations.map((c) => c.id));
      pageToken = page.page?.nextPageToken ?? '';
      // Concurrent inserts into the same filter must not shift the remaining pages.
      const newcomer = await customerWrites();
      await client.call('setTags', { conversationId: newcomer.id, tags: [tag] }, supervisor);
    } while (pageToken);
    expect(seen).toEqual([...tagged].reverse());
  }, 120_000);

  it('streams every change once, and resumes after a reconnect without gaps or duplicates', async () => {
    const conversation = await customerWrites();
    const id = conversation.id;
    const first = client.watch({ tenant: {} }, supervisor);
    await client.call('setTags', { conversationId: id, tags: ['a'] }, supervisor);
    await client.call(
      'setPriority',
      { conversationId: id, priority: commonV1.Priority.URGENT },
      supervisor,
    );
    await expectEventually(() =>
      expect(first.events.filter((e) => e.conversationId === id)).toHaveLength(2),
    );
    first.cancel();
    const lastSeen = first.events[first.events.length - 1]?.sequence ?? '0';

    // While disconnected: more changes, including in another conversation.
    await client.call('setTags', { conversationId: id, tags: ['a', 'b'] }, supervisor);
    const other = await customerWrites();
    await client.call('resolve', { conversationId: id }, supervisor);

    const resumed = client.watch({ tenant: {}, resumeAfterSequence: lastSeen }, supervisor);
    await client.call('reopen', { conversationId: id }, supervisor); // live, after the replay
    await expectEventually(() =>
      expect(
        resumed.events.some(
          (e) =>
            e.conversationId === id &&
            e.statusChanged?.status === conversationV1.ConversationStatus.OPEN,
        ),
      ).toBe(true),
    );
    const sequences = resumed.events.map((e) => Number(e.sequence));
    // Tenant scope sees every event: the cursor continues exactly after the last one seen.
    expect(sequences[0]).toBe(Number(lastSeen) + 1);
    expect(sequences).toEqual(sequences.map((_, index) => Number(lastSeen) + 1 + index));
    expect(resumed.events.some((e) => e.conversationId === other.id && e.created)).toBe(true);
    const mine = resumed.events
      .filter((e) => e.conversationId === id)
      .map((e) => Number(e.conversationSequence));
    expect(mine).toEqual(mine.map((_, index) => mine[0]! + index));
    resumed.cancel();
  }, 60_000);

  it('wakes a snoozed conversation by itself and tells its watchers, with activity in between', async () => {
    const conversation = await customerWrites();
    const watch = client.watch({ conversationId: conversation.id }, supervisor);
    const snoozed = one(
      await client.call(
        'snooze',
        { conversationId: conversation.id, until: new Date(Date.now() + 1_000) },
        supervisor,
      ),
    );
    expect(snoozed.status).toBe(conversationV1.ConversationStatus.SNOOZED);
    await expectEventually(() => expect(watch.events.length).toBeGreaterThanOrEqual(1));
    await client.call(
      'setActivity',
      { conversationId: conversation.id, kind: conversationV1.ActivityKind.TYPING },
      supervisor,
    );
    await expectEventually(() =>
      expect(
        watch.events.some((e) => e.activity?.kind === conversationV1.ActivityKind.TYPING),
      ).toBe(true),
    );
    await expectEventually(
      async () => {
        const woken = one(
          await client.call('getConversation', { conversationId: conversation.id }, supervisor),
        );
        expect(woken.status).toBe(conversationV1.ConversationStatus.OPEN);
      },
      { timeoutMs: 10_000 },
    );
    await expectEventually(() =>
      expect(
        watch.events.some(
          (e) => e.statusChanged?.status === conversationV1.ConversationStatus.OPEN,
        ),
      ).toBe(true),
    );
    watch.cancel();
  }, 30_000);
});
