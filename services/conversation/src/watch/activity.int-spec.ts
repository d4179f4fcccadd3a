import type { Principal } from '@switchboard/grpc-kit';
import {
  type ConversationActivityEvent,
  conversationActivitySchema,
  decodeEnvelope,
  deadLetterTopicOf,
  encodeEnvelope,
  threadPartitionKey,
} from '@switchboard/events';
import type { MessageProducer } from '@switchboard/kafka';
import { createTestContext, expectEventually, type TestContext } from '@switchboard/testing';
import pino from 'pino';
import {
  inboundMessage,
  openConversationHarness,
  type ConversationHarness,
} from '../../test/conversation-harness';
import { AssignCommand } from '../agent-api/agent-commands';
import type { ConversationCore } from '../conversations/conversation-core';
import { IngestInboundMessageCommand } from '../ingestion/ingest-inbound-message.command';
import { ActivityConsumer } from './activity.consumer';
import type { FeedItem, FeedSubscription } from './event-feed.hub';
import { SetActivityCommand } from './set-activity.usecase';
import { WatchEventsCommand } from './watch-events.usecase';

type ActivityItem = Extract<FeedItem, { kind: 'activity' }>;

/** Two conversation service replicas (cores with their own hub and origin) on one Kafka topic. */
describe('activity across replicas and from gateways (real Kafka and MongoDB wire)', () => {
  let context: TestContext;
  let harness: ConversationHarness;
  let activityTopic: string;
  let replicaA: ConversationCore;
  let replicaB: ConversationCore;
  let producer: MessageProducer;
  const consumers: ActivityConsumer[] = [];
  const subscriptions: FeedSubscription[] = [];

  const principal = (agentId: string, roles: Principal['roles']): Principal => ({
    agentId,
    tenantId: context.tenantId,
    roles,
    queueIds: [],
  });

  beforeAll(async () => {
    context = createTestContext('conversation activity');
    harness = await openConversationHarness(context);
    activityTopic = context.topic('conversation-activity');
    await harness.kafka.admin().ensureTopics([
      { name: activityTopic, partitions: 2 },
      { name: deadLetterTopicOf(activityTopic), partitions: 1 },
    ]);
    const topics = { ...harness.topics, conversationActivity: activityTopic };
    replicaA = await harness.core({ topics });
    replicaB = await harness.core({ topics });
    for (const replica of [replicaA, replicaB]) {
      const consumer = new ActivityConsumer(
        harness.kafka,
        replica.relayActivity,
        {
          topic: activityTopic,
          groupId: `${context.topicPrefix}conversation.activity.${replica.replicaId}`,
          sessionTimeoutMs: 6_000,
          heartbeatIntervalMs: 500,
        },
        pino({ level: 'silent' }),
      );
      await consumer.start();
      consumers.push(consumer);
    }
    producer = harness.kafka.createProducer();
  }, 60_000);

  afterAll(async () => {
    for (const subscription of subscriptions) subscription.close();
    await Promise.all(consumers.map((consumer) => consumer.stop()));
    await producer?.disconnect();
    replicaA?.feed.close();
    replicaB?.feed.close();
    await harness.kafka
      .admin()
      .deleteTopics([activityTopic, deadLetterTopicOf(activityTopic)])
      .catch(() => undefined);
    await harness.close();
  }, 30_000);

  async function watch(replica: ConversationCore, conversationId: string) {
    const items: ActivityItem[] = [];
    const supervisor = principal(`sup-${Math.random()}`, ['supervisor']);
    subscriptions.push(
      await replica.watchEvents.execute(
        new WatchEventsCommand(supervisor, { kind: 'conversation', conversationId }, 0),
        (item) => {
          if (item.kind === 'activity') items.push(item);
        },
      ),
    );
    return items;
  }

  function customerSignal(
    message: ReturnType<typeof inboundMessage>,
    overrides: Partial<ConversationActivityEvent> = {},
  ): ConversationActivityEvent {
    const now = Date.now();
    return {
      schemaVersion: 1,
      tenantId: context.tenantId,
      channel: message.channel,
      threadKey: message.threadKey,
      actor: { kind: 'customer', id: 'visitor-1', name: '' },
      isAssignee: false,
      activity: 'typing',
      occurredAt: new Date(now).toISOString(),
      expiresAt: new Date(now + 10_000).toISOString(),
      origin: 'chat-gateway-1',
      ...overrides,
    };
  }

  async function produce(message: ReturnType<typeof inboundMessage>, value: string) {
    await producer.send(activityTopic, [
      { key: threadPartitionKey(context.tenantId, message.channel, message.threadKey), value },
    ]);
  }

  /**
   * A new group starts at the latest offset once it fetches; until both replicas show a probe,
   * a signal could land before that point. Probes come from the customer, like a gateway's.
   */
  async function untilBothReplicasListen(
    message: ReturnType<typeof inboundMessage>,
    watchers: ActivityItem[][],
  ) {
    await expectEventually(
      async () => {
        await produce(message, encodeEnvelope(customerSignal(message, { activity: 'idle' })));
        for (const items of watchers) expect(items.length).toBeGreaterThan(0);
      },
      { timeoutMs: 30_000, intervalMs: 300 },
    );
  }

  it("shows an agent on replica B what the assignee types on replica A, and A's watchers see it once", async () => {
    const message = inboundMessage(context.tenantId, {
      channel: 'chat',
      sender: { kind: 'chat_visitor', value: 'visitor-1', verified: false },
    });
    const ingested = await replicaA.ingestInboundMessage.execute(
      IngestInboundMessageCommand.fromEnvelope(message),
    );
    const conversationId = ingested.conversationId;
    await replicaA.assign.execute(
      new AssignCommand(
        principal('sup-1', ['supervisor']),
        conversationId,
        'agent-7',
        undefined,
        'test',
      ),
    );
    const onA = await watch(replicaA, conversationId);
    const onB = await watch(replicaB, conversationId);
    await untilBothReplicasListen(message, [onA, onB]);
    const published: ConversationActivityEvent[] = [];
    const collected = await harness.collect(activityTopic);

    await replicaA.setActivity.execute(
      new SetActivityCommand(principal('agent-7', ['agent']), conversationId, 'typing'),
    );
    const typedOnB = await expectEventually(
      () => {
        const typed = onB.find((item) => item.actor.kind === 'agent');
        expect(typed).toMatchObject({
          conversationId,
          actor: { kind: 'agent', id: 'agent-7' },
          isAssignee: true,
          activity: 'typing',
          lastReadMessageId: ingested.messageId,
          snapshot: { assigneeId: 'agent-7' },
        });
        return typed;
      },
      { timeoutMs: 20_000 },
    );
    expect(typedOnB).toBeDefined();

    // Same thread, same partition: once A shows this later customer signal, A's consumer has
    // passed its own typing signal, which it must have skipped (A showed it when it was set).
    await produce(message, encodeEnvelope(customerSignal(message, { activity: 'viewing' })));
    await expectEventually(() =>
      expect(onA.some((item) => item.activity === 'viewing')).toBe(true),
    );
    const typedOnA = onA.filter((item) => item.actor.kind === 'agent');
    expect(typedOnA).toHaveLength(1);
    expect(typedOnA[0]).toMatchObject({ isAssignee: true, lastReadMessageId: ingested.messageId });

    // What the gateways read: the assignee has seen the customer's message.
    await expectEventually(() => {
      published.splice(0);
      for (const record of collected) {
        const event = decodeEnvelope('activity', conversationActivitySchema, record.value);
        if (event.actor.kind === 'agent') published.push(event);
      }
      expect(published).toHaveLength(1);
    });
    const signal = published[0];
    expect(signal).toMatchObject({
      tenantId: context.tenantId,
      channel: 'chat',
      threadKey: message.threadKey,
      conversationId,
      isAssignee: true,
      activity: 'typing',
      lastReadMessageId: ingested.messageId,
      origin: replicaA.replicaId,
    });
    expect(Date.parse(signal?.expiresAt ?? '') - Date.parse(signal?.occurredAt ?? '')).toBe(10_000);
    expect(collected[collected.length - 1]?.key).toBe(
      threadPartitionKey(context.tenantId, 'chat', message.threadKey),
    );
  }, 90_000);

  it('shows a customer typing (found by thread key) and drops expired, unreadable or unknown signals', async () => {
    const message = inboundMessage(context.tenantId, {
      channel: 'chat',
      sender: { kind: 'chat_visitor', value: 'visitor-2', verified: false },
    });
    const { conversationId } = await replicaA.ingestInboundMessage.execute(
      IngestInboundMessageCommand.fromEnvelope(message),
    );
    const onB = await watch(replicaB, conversationId);
    await untilBothReplicasListen(message, [onB]);

    const past = Date.now() - 60_000;
    await produce(
      message,
      encodeEnvelope(
        customerSignal(message, {
          activity: 'viewing',
          occurredAt: new Date(past).toISOString(),
          expiresAt: new Date(past + 10_000).toISOString(),
        }),
      ),
    );
    await produce(message, '{"schemaVersion":1,"tenantId":""}');
    // Another tenant's thread of the same key: not this conversation, never shown here.
    await produce(
      message,
      encodeEnvelope(customerSignal(message, { tenantId: `${context.tenantId}-b` })),
    );
    await produce(message, encodeEnvelope(customerSignal(message, { activity: 'typing' })));

    const typing = await expectEventually(
      () => {
        // The probes were idle signals, all produced before these on the same partition.
        const shown = onB.filter((item) => item.activity !== 'idle');
        expect(shown).toHaveLength(1);
        return shown[0];
      },
      { timeoutMs: 20_000 },
    );
    // Nothing before it got through: the expired one, the invalid one, the other tenant's.
    expect(typing).toMatchObject({
      conversationId,
      actor: { kind: 'customer', id: 'visitor-1' },
      isAssignee: false,
      activity: 'typing',
    });
  }, 90_000);

  it("deletes each replica's own consumer group when it stops", async () => {
    const ours = async () =>
      (await harness.kafka.admin().listConsumerGroups()).filter((group) =>
        group.startsWith(`${context.topicPrefix}conversation.activity.`),
      );
    expect(await ours()).toHaveLength(2);
    await Promise.all(consumers.map((consumer) => consumer.stop()));
    // Replicas coming and going (rolling deploys, autoscaling) leave no groups behind.
    expect(await ours()).toEqual([]);
  }, 30_000);
});
