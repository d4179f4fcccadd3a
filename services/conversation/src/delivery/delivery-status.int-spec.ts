import type { Principal } from '@switchboard/grpc-kit';
import {
  conversationEventSchema,
  deadLetterTopicOf,
  decodeEnvelope,
  type DeliveryStatus,
  encodeEnvelope,
} from '@switchboard/events';
import {
  DEAD_LETTER_HEADERS,
  type MessageConsumer,
  type MessageProducer,
} from '@switchboard/kafka';
import { createTestContext, expectEventually, type TestContext } from '@switchboard/testing';
import pino from 'pino';
import {
  inboundMessage,
  openConversationHarness,
  type ConversationHarness,
} from '../../test/conversation-harness';
import { crashOnceAfter, SimulatedCrash } from '../../test/simulated-crash';
import { SendMessageCommand } from '../agent-api/agent-commands';
import type { ConversationCore } from '../conversations/conversation-core';
import { IngestInboundMessageCommand } from '../ingestion/ingest-inbound-message.command';
import type { MongoMessageRepository } from '../persistence/message.repository';
import { asTenantId } from '../shared/tenant-id';
import { createDeliveryStatusConsumer } from './delivery-status.consumer';

describe('delivery statuses of agent replies (real Kafka and MongoDB wire)', () => {
  let context: TestContext;
  let harness: ConversationHarness;
  let core: ConversationCore;
  let deliveryTopic: string;
  let consumer: MessageConsumer;
  let producer: MessageProducer;

  const tenant = () => asTenantId(context.tenantId);
  const supervisor = (): Principal => ({
    agentId: 'sup-1',
    tenantId: context.tenantId,
    roles: ['supervisor'],
    queueIds: [],
  });

  beforeAll(async () => {
    context = createTestContext('conversation delivery');
    harness = await openConversationHarness(context);
    deliveryTopic = context.topic('delivery-status');
    await harness.kafka.admin().ensureTopics([
      { name: deliveryTopic, partitions: 2 },
      { name: deadLetterTopicOf(deliveryTopic), partitions: 1 },
    ]);
    core = await harness.core();
    consumer = createDeliveryStatusConsumer(
      harness.kafka,
      core.recordDeliveryStatus,
      {
        topic: deliveryTopic,
        groupId: `${context.topicPrefix}conversation.delivery-status`,
        sessionTimeoutMs: 6_000,
        heartbeatIntervalMs: 500,
      },
      pino({ level: 'silent' }),
    );
    await consumer.start();
    producer = harness.kafka.createProducer();
  }, 60_000);

  afterAll(async () => {
    await consumer?.stop();
    await producer?.disconnect();
    await harness.kafka
      .admin()
      .deleteTopics([deliveryTopic, deadLetterTopicOf(deliveryTopic)])
      .catch(() => undefined);
    await harness.close();
  }, 30_000);

  async function conversationWithReplies(count: number, replica = core) {
    const { conversationId } = await replica.ingestInboundMessage.execute(
      IngestInboundMessageCommand.fromEnvelope(inboundMessage(context.tenantId)),
    );
    const replies: string[] = [];
    for (let index = 0; index < count; index += 1) {
      const reply = await replica.sendMessage.execute(
        new SendMessageCommand(
          supervisor(),
          conversationId,
          `${conversationId}-req-${index}`,
          `Reply ${index}`,
          undefined,
        ),
      );
      replies.push(reply.id);
    }
    return { conversationId, replies };
  }

  function report(
    conversationId: string,
    messageId: string,
    status: DeliveryStatus['status'],
    extra: Partial<DeliveryStatus> = {},
  ): DeliveryStatus {
    return {
      schemaVersion: 1,
      tenantId: context.tenantId,
      messageId,
      conversationId,
      channel: 'email',
      status,
      occurredAt: new Date().toISOString(),
      ...extra,
    };
  }

  async function statusEvents(conversationId: string) {
    const events = await core.repositories.eventLog.readAfter(tenant(), 0, 10_000);
    return events
      .filter((e) => e.conversationId === conversationId && e.type === 'message_status_changed')
      .map((e) => e.data);
  }

  it('moves statuses forward only, records failures with their reason, and announces each change once', async () => {
    const { conversationId, replies } = await conversationWithReplies(2);
    const [first, second] = replies as [string, string];
    const published = await harness.collect(harness.topics.conversationEvents);
    const reports = [
      report(conversationId, first, 'sent', { externalMessageId: '<ours-1@switchboard>' }),
      report(conversationId, first, 'sent'), // redelivered
      report(conversationId, first, 'read'),
      report(conversationId, first, 'delivered'), // late: read already
      report(conversationId, second, 'deferred'),
      report(conversationId, second, 'failed', {
        errorCode: '550',
        errorMessage: 'mailbox unavailable',
      }),
      report(conversationId, second, 'sent'), // late: failed already
      // Another tenant's report naming this tenant's message changes nothing.
      report(conversationId, first, 'failed', { tenantId: `${context.tenantId}-b` }),
    ];
    await producer.send(deliveryTopic, [
      ...reports.map((value) => ({ key: conversationId, value: encodeEnvelope(value) })),
      // Same key, so handled after every report above: once it is dead-lettered, all are done.
      { key: conversationId, value: '{"schemaVersion":1,"status":"sent"}' },
    ]);
    const deadLetters = await harness.collect(deadLetterTopicOf(deliveryTopic));
    await expectEventually(() => expect(deadLetters).toHaveLength(1), { timeoutMs: 30_000 });
    expect(deadLetters[0]?.headers[DEAD_LETTER_HEADERS.reason]).toContain(
      'invalid delivery status',
    );

    const firstStored = await core.repositories.messages.findById(tenant(), first);
    expect(firstStored).toMatchObject({
      deliveryStatus: 'read',
      externalId: '<ours-1@switchboard>',
      deliveryAnnounced: 'read',
    });
    expect(firstStored?.deliveryError).toBeUndefined();
    const secondStored = await core.repositories.messages.findById(tenant(), second);
    expect(secondStored).toMatchObject({
      deliveryStatus: 'failed',
      deliveryError: { code: '550', message: 'mailbox unavailable' },
    });
    expect(await statusEvents(conversationId)).toEqual([
      { messageId: first, status: 'sent', previousStatus: 'queued' },
      { messageId: first, status: 'read', previousStatus: 'sent' },
      { messageId: second, status: 'deferred', previousStatus: 'queued' },
      {
        messageId: second,
        status: 'failed',
        previousStatus: 'deferred',
        errorCode: '550',
        errorMessage: 'mailbox unavailable',
      },
    ]);
    // For the router and gateways: on Kafka too, never asking for routing.
    await expectEventually(() => {
      const statusChanges = published
        .map((m) => decodeEnvelope('event', conversationEventSchema, m.value))
        .filter((e) => e.conversationId === conversationId && e.type === 'message_status_changed');
      expect(statusChanges.map((e) => e.data['status'])).toEqual([
        'sent',
        'read',
        'deferred',
        'failed',
      ]);
      expect(statusChanges.every((e) => !e.triggersRouting)).toBe(true);
    });
    const conversation = await core.repositories.conversations.findById(tenant(), conversationId);
    expect(conversation?.pending).toEqual([]);
  }, 60_000);

  it.each([
    ['after the status was recorded', 'advanceDeliveryStatus'],
    ['after the event was marked announced', 'markDeliveryAnnounced'],
  ] as const)(
    'a crash %s is completed, once, by the redelivery',
    async (_, step) => {
      const crashing = await harness.core({
        wrap: { messages: (r: MongoMessageRepository) => crashOnceAfter(r, step) },
      });
      const { conversationId, replies } = await conversationWithReplies(1, crashing);
      const delivered = report(conversationId, replies[0] ?? '', 'delivered');
      await expect(crashing.recordDeliveryStatus.execute(delivered)).rejects.toBeInstanceOf(
        SimulatedCrash,
      );
      await crashing.recordDeliveryStatus.execute(delivered);
      expect(await crashing.recordDeliveryStatus.execute(delivered)).toBe('unchanged');
      expect(await statusEvents(conversationId)).toEqual([
        { messageId: replies[0], status: 'delivered', previousStatus: 'queued' },
      ]);
      expect(await core.repositories.messages.findById(tenant(), replies[0] ?? '')).toMatchObject({
        deliveryStatus: 'delivered',
        deliveryAnnounced: 'delivered',
      });
    },
    30_000,
  );
});
