import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { commonV1, conversationV1 } from '@switchboard/contracts';
import {
  type ConversationActivityEvent,
  deadLetterTopicOf,
  decodeEnvelope,
  encodeEnvelope,
  type InboundMessage,
  outboundMessageSchema,
  threadPartitionKey,
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
      conversationActivity: context.topic('conversation-activity'),
    };
    kafka = createKafkaClient({
      brokers: context.stack.kafkaBrokers.split(','),
      clientId: 'grpc-test',
    });
    // Before the service starts: its activity consumer subscribes to the topic at start-up.
    await kafka.admin().ensureTopics([{ name: topics.conversationActivity ?? '', partitions: 2 }]);
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
      topics.conversationActivity ?? '',
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
        const update = watch.events.find((e) => e.messageUpdated);
        expect(update?.messageUpdated).toMatchObject({
          change: conversationV1.MessageChange.DELIVERY_STATUS,
          previousDeliveryStatus: 'queued',
          deliveryStatus: 'delivered',
          message: { id: reply?.id, deliveryStatus: 'delivered' },
        });
        return update;
      },
      { timeoutMs: 30_000 },
    );
    // An update, not an addition: the reply was added by an earlier event.
    expect(tick && payloadOf(tick)).toBe('messageUpdated');
    expect(watch.events.some((e) => e.messageAdded?.deliveryStatus === 'delivered')).toBe(false);
    expect(Number(tick?.messageUpdated?.message?.conversationSequence)).toBeLessThan(
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
    // The conversation's own created/message_added events may land just after the stream's
    // start position (ingestion finishes after ListConversations shows it): count the two changes.
    await expectEventually(() =>
      expect(
        first.events.filter((e) => e.conversationId === id && (e.tagsChanged || e.priorityChanged)),
      ).toHaveLength(2),
    );
    const firstSequences = first.events.map((e) => e.sequence);
    expect(new Set(firstSequences).size).toBe(firstSequences.length);
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

  /** The one payload field an event carries (the client shows unset messages as null). */
  function payloadOf(event: conversationV1.ConversationEvent): string | undefined {
    const payloads = [
      'created',
      'statusChanged',
      'assigned',
      'messageAdded',
      'noteAdded',
      'tagsChanged',
      'priorityChanged',
      'activity',
      'slaBreached',
      'messageUpdated',
    ] as const;
    return payloads.find((name) => event[name] !== null && event[name] !== undefined);
  }

  it('sends customer edits, reactions and deletions as message updates, with reactions on the message', async () => {
    const stamp = Date.now();
    const original: Partial<InboundMessage> = {
      channel: 'whatsapp',
      threadKey: `wa-thread-${stamp}`,
      externalMessageId: `wamid.original-${stamp}`,
      sender: { kind: 'phone', value: `+49151${stamp}`, verified: true },
      text: 'Where is parcel 41?',
    };
    const conversation = await customerWrites(original);
    // Replays this conversation's whole history, then stays live: no race with the changes.
    const watch = client.watch(
      { conversationId: conversation.id, resumeAfterSequence: '1' },
      supervisor,
    );
    let offset = 0;
    const customerChanges = async (overrides: Partial<InboundMessage>) => {
      offset += 1_000;
      const change = inboundMessage(context.tenantId, {
        ...original,
        externalMessageId: `wamid.change-${stamp}-${offset}`,
        targetExternalMessageId: original.externalMessageId,
        receivedAt: new Date(stamp + offset).toISOString(),
        ...overrides,
      });
      await producer.send(topics.inboundMessages, [
        { key: change.threadKey, value: encode(change) },
      ]);
    };
    await customerChanges({ kind: 'edit', text: 'Where is parcel 42?' });
    await customerChanges({ kind: 'reaction', reactionEmoji: '👍', text: '' });
    const updates = () => watch.events.filter((e) => e.messageUpdated);
    await expectEventually(() => expect(updates()).toHaveLength(2), { timeoutMs: 30_000 });
    const [edited, reacted] = updates();
    const messageId = edited?.messageUpdated?.message?.id;
    expect(edited?.messageUpdated).toMatchObject({
      change: conversationV1.MessageChange.EDITED,
      text: 'Where is parcel 42?',
      changedAt: new Date(stamp + 1_000),
    });
    expect(reacted?.messageUpdated).toMatchObject({
      change: conversationV1.MessageChange.REACTION,
      reaction: {
        emoji: '👍',
        actorKind: conversationV1.ActorKind.CUSTOMER,
        actorId: conversation.contactId,
        reactedAt: new Date(stamp + 2_000),
      },
      message: { id: messageId },
    });
    const { messages } = await client.call<object, conversationV1.ListMessagesResponse>(
      'listMessages',
      { conversationId: conversation.id },
      supervisor,
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      id: messageId,
      text: 'Where is parcel 42?',
      editedAt: new Date(stamp + 1_000),
      deletedAt: null,
      reactions: [
        {
          emoji: '👍',
          actorKind: conversationV1.ActorKind.CUSTOMER,
          actorId: conversation.contactId,
          reactedAt: new Date(stamp + 2_000),
        },
      ],
    });

    await customerChanges({ kind: 'delete', text: '' });
    await expectEventually(() => expect(updates()).toHaveLength(3), { timeoutMs: 30_000 });
    expect(updates()[2]?.messageUpdated).toMatchObject({
      change: conversationV1.MessageChange.DELETED,
      message: { id: messageId, text: '', deletedAt: new Date(stamp + 3_000), reactions: [] },
    });
    // One addition and three updates: a UI can tell them apart without comparing sequences.
    expect(watch.events.map(payloadOf)).toEqual([
      'created',
      'messageAdded',
      'messageUpdated',
      'messageUpdated',
      'messageUpdated',
    ]);
    expect(watch.events.filter((e) => e.messageAdded).map((e) => e.messageAdded?.id)).toEqual([
      messageId,
    ]);
    watch.cancel();
  }, 60_000);

  it('merges and unmerges contacts for supervisors only, and never two verified identities', async () => {
    const stamp = Date.now();
    const grace = await customerWrites({
      sender: { kind: 'email', value: `grace-${stamp}@example.com`, verified: true },
    });
    const visitor = await customerWrites({
      channel: 'chat',
      sender: { kind: 'chat_visitor', value: `visitor-${stamp}`, verified: false },
    });
    const stranger = await customerWrites({
      sender: { kind: 'email', value: `stranger-${stamp}@example.com`, verified: true },
    });
    const merge = (source: Conversation, target: Conversation, token: string, reason = 'same') =>
      client.call<object, conversationV1.MergeContactsResponse>(
        'mergeContacts',
        { sourceContactId: source.contactId, targetContactId: target.contactId, reason },
        token,
      );
    const unmerge = (mergeId: string, token: string) =>
      client.call<object, conversationV1.UnmergeContactsResponse>(
        'unmergeContacts',
        { mergeId },
        token,
      );
    const listMerges = (contact: Conversation, token: string) =>
      client.call<object, conversationV1.ListContactMergesResponse>(
        'listContactMerges',
        { contactId: contact.contactId },
        token,
      );
    const historyOf = async (contact: Conversation) =>
      (
        await client.call<object, conversationV1.GetContactHistoryResponse>(
          'getContactHistory',
          { contactId: contact.contactId },
          supervisor,
        )
      ).conversations.map((c) => c.id);

    const agent = await signToken({
      sub: 'agent-1',
      tenant: context.tenantId,
      queues: ['support'],
    });
    const system = await signToken({ sub: 'gw', tenant: context.tenantId, roles: ['system'] });
    const systemSupervisor = await signToken({
      sub: 'gw',
      tenant: context.tenantId,
      roles: ['system', 'supervisor'],
    });
    for (const [token, detail] of [
      [agent, 'only supervisors'],
      [system, 'system role'],
      [systemSupervisor, 'system role'],
    ] as const) {
      await expectStatus(merge(visitor, grace, token), GrpcStatus.PERMISSION_DENIED, detail);
      await expectStatus(listMerges(grace, token), GrpcStatus.PERMISSION_DENIED, detail);
      await expectStatus(unmerge('merge_x', token), GrpcStatus.PERMISSION_DENIED, detail);
    }
    await expectStatus(merge(visitor, grace, otherTenantSupervisor), GrpcStatus.NOT_FOUND);
    await expectStatus(listMerges(grace, otherTenantSupervisor), GrpcStatus.NOT_FOUND);

    await expectStatus(
      merge(visitor, grace, supervisor, ' '),
      GrpcStatus.INVALID_ARGUMENT,
      'reason',
    );
    await expectStatus(
      merge(grace, grace, supervisor),
      GrpcStatus.INVALID_ARGUMENT,
      'target_contact_id',
    );
    await expectStatus(
      client.call('mergeContacts', { targetContactId: grace.contactId, reason: 'r' }, supervisor),
      GrpcStatus.INVALID_ARGUMENT,
      'source_contact_id',
    );
    await expectStatus(unmerge('', supervisor), GrpcStatus.INVALID_ARGUMENT, 'merge_id');
    await expectStatus(
      merge(stranger, grace, supervisor),
      GrpcStatus.FAILED_PRECONDITION,
      'different verified email; they are never merged',
    );
    // Nothing was refused half-way: nobody's history changed.
    expect(await historyOf(grace)).toEqual([grace.id]);
    expect(await listMerges(grace, supervisor)).toMatchObject({ merges: [] });

    const { merge: merged } = await merge(visitor, grace, supervisor, 'told us in chat');
    expect(merged).toMatchObject({
      sourceContactId: visitor.contactId,
      targetContactId: grace.contactId,
      reason: 'told us in chat',
      mergedBy: 'sup-1',
      revertedAt: null,
      movedIdentities: [{ kind: 'chat_visitor', value: `visitor-${stamp}`, verified: false }],
    });
    expect(merged?.mergedAt).toBeInstanceOf(Date);
    const mergeId = merged?.id ?? '';
    expect(new Set(await historyOf(grace))).toEqual(new Set([grace.id, visitor.id]));
    await expectStatus(
      merge(visitor, stranger, supervisor),
      GrpcStatus.FAILED_PRECONDITION,
      'merged away',
    );
    expect((await listMerges(visitor, supervisor)).merges.map((m) => m.id)).toEqual([mergeId]);
    expect((await listMerges(grace, supervisor)).merges.map((m) => m.id)).toEqual([mergeId]);
    await expectStatus(unmerge(mergeId, otherTenantSupervisor), GrpcStatus.NOT_FOUND);
    await expectStatus(unmerge(mergeId, agent), GrpcStatus.PERMISSION_DENIED);

    // The survivor merged on: the first merge cannot be reverted until the second is.
    const later = await customerWrites({
      channel: 'chat',
      sender: { kind: 'chat_visitor', value: `later-${stamp}`, verified: false },
    });
    const { merge: onward } = await merge(grace, later, supervisor, 'one more identity');
    expect(new Set(await historyOf(later))).toEqual(new Set([later.id, grace.id, visitor.id]));
    await expectStatus(
      unmerge(mergeId, supervisor),
      GrpcStatus.FAILED_PRECONDITION,
      'unmerge that first',
    );
    expect((await unmerge(onward?.id ?? '', supervisor)).merge?.revertedAt).toBeInstanceOf(Date);

    const { merge: reverted } = await unmerge(mergeId, supervisor);
    expect(reverted).toMatchObject({ id: mergeId, sourceContactId: visitor.contactId });
    expect(reverted?.revertedAt).toBeInstanceOf(Date);
    expect(await historyOf(grace)).toEqual([grace.id]);
    expect(await historyOf(visitor)).toEqual([visitor.id]);
    // Idempotent: a retried unmerge answers with the same record.
    expect((await unmerge(mergeId, supervisor)).merge?.revertedAt).toEqual(reverted?.revertedAt);
    expect((await listMerges(grace, supervisor)).merges.map((m) => m.id)).toEqual([
      onward?.id,
      mergeId,
    ]);

    // Crossing merges sent at once: exactly one happens, the other finds its contact merged away.
    const outcomes = await Promise.allSettled([
      merge(visitor, grace, supervisor, 'crossing one way'),
      merge(grace, visitor, supervisor, 'crossing the other way'),
    ]);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const refused = outcomes.find((outcome) => outcome.status === 'rejected');
    expect(refused?.status === 'rejected' && String(refused.reason)).toMatch(/merged away/);
    const survivor = outcomes[0]?.status === 'fulfilled' ? grace : visitor;
    expect(new Set(await historyOf(survivor))).toEqual(new Set([grace.id, visitor.id]));
  }, 90_000);

  it('tells watchers who is active: the assignee and what they read, another agent, the customer', async () => {
    const visitorId = `visitor-act-${Date.now()}`;
    const conversation = await customerWrites({
      channel: 'chat',
      sender: { kind: 'chat_visitor', value: visitorId, verified: false },
    });
    const id = conversation.id;
    await client.call(
      'assign',
      { conversationId: id, assigneeId: 'agent-5', queueId: 'support', reason: 'test' },
      supervisor,
    );
    const assignee = await signToken({ sub: 'agent-5', tenant: context.tenantId });
    const { messages } = await client.call<object, conversationV1.ListMessagesResponse>(
      'listMessages',
      { conversationId: id },
      supervisor,
    );
    const watch = client.watch({ conversationId: id }, supervisor);
    const activityOf = (actorId: string) =>
      watch.events.find((e) => e.activity?.actorId === actorId)?.activity;
    // Live once the first signal gets through (activity is never replayed).
    await expectEventually(async () => {
      await client.call(
        'setActivity',
        { conversationId: id, kind: conversationV1.ActivityKind.VIEWING },
        assignee,
      );
      expect(activityOf('agent-5')).toBeDefined();
    });
    expect(activityOf('agent-5')).toEqual({
      agentId: 'agent-5',
      kind: conversationV1.ActivityKind.VIEWING,
      actorKind: conversationV1.ActorKind.AGENT,
      actorId: 'agent-5',
      isAssignee: true,
      lastReadMessageId: messages[0]?.id,
    });
    await client.call(
      'setActivity',
      { conversationId: id, kind: conversationV1.ActivityKind.TYPING },
      supervisor,
    );
    await expectEventually(() =>
      expect(activityOf('sup-1')).toEqual({
        agentId: 'sup-1',
        kind: conversationV1.ActivityKind.TYPING,
        actorKind: conversationV1.ActorKind.AGENT,
        actorId: 'sup-1',
        isAssignee: false,
        lastReadMessageId: '',
      }),
    );

    // The customer, as the chat gateway reports them on the activity topic. The service's
    // consumer starts at the latest offset, so the signal is repeated until it is seen.
    await expectEventually(
      async () => {
        const now = Date.now();
        const signal: ConversationActivityEvent = {
          schemaVersion: 1,
          tenantId: context.tenantId,
          channel: 'chat',
          threadKey: conversation.threadKey,
          actor: { kind: 'customer', id: visitorId, name: '' },
          isAssignee: false,
          activity: 'typing',
          lastReadMessageId: 'msg_agent_reply',
          occurredAt: new Date(now).toISOString(),
          expiresAt: new Date(now + 10_000).toISOString(),
          origin: 'chat-gateway-test',
        };
        await producer.send(topics.conversationActivity ?? '', [
          {
            key: threadPartitionKey(context.tenantId, 'chat', conversation.threadKey),
            value: encodeEnvelope(signal),
          },
        ]);
        expect(activityOf(visitorId)).toBeDefined();
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(activityOf(visitorId)).toEqual({
      agentId: '',
      kind: conversationV1.ActivityKind.TYPING,
      actorKind: conversationV1.ActorKind.CUSTOMER,
      actorId: visitorId,
      isAssignee: false,
      lastReadMessageId: 'msg_agent_reply',
    });
    watch.cancel();
  }, 60_000);
});
