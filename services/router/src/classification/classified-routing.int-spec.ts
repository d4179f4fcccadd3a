import { randomUUID } from 'node:crypto';
import {
  type ConversationEvent,
  conversationEventSchema,
  decodeEnvelope,
  encodeEnvelope,
  type RoutingDecisionEvent,
  routingDecisionSchema,
} from '@switchboard/events';
import {
  createKafkaClient,
  type KafkaClient,
  type MessageConsumer,
  type MessageProducer,
} from '@switchboard/kafka';
import { openMongoConnection } from '@switchboard/mongo';
import {
  closeRedisConnection,
  openRedisConnection,
  type RedisClient,
  waitForRedisReady,
} from '@switchboard/redis';
import { createTestContext, expectEventually } from '@switchboard/testing';
import type { Connection } from 'mongoose';
import { AssignmentStore } from '../assignment/assignment.store';
import { DispatchQueueUseCase } from '../assignment/dispatch-queue.usecase';
import { ApplyRoutingConfigurationUseCase } from '../configuration/apply-routing-configuration.usecase';
import { ProjectRoutingStateUseCase } from '../configuration/project-routing-state.usecase';
import { RoutingConfigRepository } from '../configuration/routing-config.repository';
import { parseRoutingConfig } from '../configuration/routing-config.schema';
import { toTenantId } from '../configuration/tenant-id';
import { DecisionFactory } from '../routing/decision-factory';
import { KafkaDecisionPublisher } from '../routing/kafka-decision.publisher';
import { RouteConversationEventUseCase } from '../routing/route-conversation-event.usecase';
import { CachedTenantConfigSource } from '../routing/tenant-config.cache';
import { RuleAndModelClassifier } from './classify';

/**
 * Classification on the routing path, on the real stack: the configuration (with its
 * classification section) is stored in MongoDB and read back, conversation events arrive over
 * Kafka, tasks and offers live in Redis and decisions go out over Kafka, where they are read back.
 */
describe('classified routing (real Kafka, MongoDB and Redis)', () => {
  const context = createTestContext('router-classified');
  const tenant = toTenantId(`${context.tenantId}-c`);
  const topics = {
    events: context.topic('conversation-events'),
    decisions: context.topic('routing-decisions'),
  };
  let mongo: Connection;
  let redis: RedisClient;
  let kafka: KafkaClient;
  let producer: MessageProducer;
  const consumers: MessageConsumer[] = [];
  const decisions: RoutingDecisionEvent[] = [];
  const failures: unknown[] = [];
  let store: AssignmentStore;

  beforeAll(async () => {
    kafka = createKafkaClient({
      brokers: context.stack.kafkaBrokers.split(','),
      clientId: 'router-classified-test',
    });
    await kafka.admin().ensureTopics([
      { name: topics.events, partitions: 1 },
      { name: topics.decisions, partitions: 1 },
    ]);
    producer = kafka.createProducer();
    mongo = openMongoConnection({ uri: context.stack.mongodbUri, database: context.database });
    await mongo.asPromise();
    redis = openRedisConnection({ url: context.stack.redisUrl, keyPrefix: context.redisKeyPrefix });
    await waitForRedisReady(redis);
    const repository = new RoutingConfigRepository(mongo);
    await repository.ensureIndexes();
    store = new AssignmentStore(redis);
    const clock = { now: () => Date.now() };
    await new ApplyRoutingConfigurationUseCase(
      repository,
      new ProjectRoutingStateUseCase(repository, store),
      clock,
    ).execute(
      parseRoutingConfig({
        tenants: [
          {
            tenant,
            skills: ['billing'],
            queues: [
              { id: 'chat', channel: 'chat' },
              { id: 'billing-chat', channel: 'chat' },
            ],
            agents: [
              // Bob is online first, so he is the longest idle: without the topic's skill and the
              // language he would get every offer.
              { id: 'bob', languages: ['en'], capacity: { chat: 2 } },
              { id: 'ann', languages: ['en', 'fr'], skills: { billing: 7 }, capacity: { chat: 2 } },
            ],
            queueSelection: { byChannel: { chat: 'chat' } },
            classification: {
              topics: [
                { id: 'billing', queue: 'billing-chat', requiredSkills: { billing: 5 } },
                { id: 'shipping' },
              ],
              topicRules: [
                { id: 'refund-words', topic: 'billing', keywords: ['refund', 'remboursement'] },
              ],
              priorityRules: [
                { id: 'vip-domains', priority: 'high', vip: { senderDomains: ['bigcustomer.fr'] } },
              ],
            },
          },
        ],
      }),
    );
    const route = new RouteConversationEventUseCase(
      store,
      new DispatchQueueUseCase(store, clock),
      new CachedTenantConfigSource(repository, clock),
      new DecisionFactory({ next: () => randomUUID() }),
      new KafkaDecisionPublisher(producer, topics.decisions),
      clock,
      new RuleAndModelClassifier(),
    );
    await store.setStatus(tenant, 'bob', 'available', Date.now() - 60_000, {
      requeueAssigned: false,
    });
    await store.setStatus(tenant, 'ann', 'available', Date.now(), { requeueAssigned: false });

    const consumerTuning = {
      fromBeginning: true,
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 500,
      maxWaitTimeMs: 200,
    };
    // The router's own handling of the topic (router-runtime.ts): decode, route, publish.
    consumers.push(
      kafka.createConsumer({
        groupId: `${context.topicPrefix}router`,
        topics: [topics.events],
        ...consumerTuning,
        handler: async (message) => {
          try {
            await route.execute(
              decodeEnvelope('conversation event', conversationEventSchema, message.value),
            );
          } catch (error) {
            failures.push(error);
            throw error;
          }
        },
      }),
      kafka.createConsumer({
        groupId: `${context.topicPrefix}observer`,
        topics: [topics.decisions],
        ...consumerTuning,
        handler: async (message) => {
          decisions.push(decodeEnvelope('decision', routingDecisionSchema, message.value));
        },
      }),
    );
    for (const consumer of consumers) await consumer.start();
  });

  afterAll(async () => {
    // Stops the consumers and disconnects the producer and the admin.
    await kafka.close();
    await mongo.dropDatabase();
    await mongo.close();
    await closeRedisConnection(redis);
  });

  const created = (
    conversationId: string,
    subject: string,
    data: Record<string, string>,
  ): ConversationEvent => ({
    schemaVersion: 1,
    tenantId: tenant,
    eventId: `${conversationId}:1`,
    conversationId,
    sequence: 1,
    tenantCursor: 1,
    type: 'created',
    occurredAt: new Date().toISOString(),
    actor: { kind: 'customer', id: 'contact-1' },
    triggersRouting: true,
    conversation: {
      channel: 'chat',
      threadKey: conversationId,
      subject,
      status: 'open',
      priority: 'normal',
      tags: [],
      contactId: 'contact-1',
    },
    data,
  });

  const send = (event: ConversationEvent) =>
    producer.send(topics.events, [{ key: event.conversationId, value: encodeEnvelope(event) }]);

  const decisionsOf = (conversationId: string) =>
    decisions.filter((decision) => decision.conversationId === conversationId);

  it('sends a keyword conversation to its topic’s queue, with its skills and language, and says why', async () => {
    await send(
      created('conv-refund', 'Remboursement', {
        text: "Bonjour, j'ai payé deux fois ma commande et je voudrais un remboursement rapidement.",
        senderAddress: 'claire@bigcustomer.fr',
      }),
    );
    await expectEventually(() => expect(decisionsOf('conv-refund')).toHaveLength(2), {
      timeoutMs: 20_000,
    });
    const [queued, offered] = decisionsOf('conv-refund');
    expect(queued).toMatchObject({ type: 'queued', queueId: 'billing-chat' });
    expect(queued?.explanation.rules).toEqual([
      'topic billing → queue billing-chat',
      'topic billing ← keyword rule refund-words ("remboursement")',
      'language fr ← tinyld',
      'sentiment not scored: language fr (AFINN-165 is English only)',
      'priority high ← vip rule vip-domains (sender domain bigcustomer.fr)',
      'skills billing ≥ 5 ← topic billing',
      'language fr required: spoken by 1 of 1 agents able to serve it in queue billing-chat',
    ]);
    // Bob is longer idle but has neither the skill nor the language: Ann gets it.
    expect(offered).toMatchObject({ type: 'offered', queueId: 'billing-chat', agentId: 'ann' });
    expect(failures).toEqual([]);
  });

  it('does not require a language nobody in the queue speaks, so the task is served', async () => {
    await send(
      created('conv-german', 'Frage', {
        text: 'Guten Tag, ich habe eine Frage zu meiner Bestellung und der Lieferung nach Berlin.',
        senderAddress: 'jonas@example.de',
      }),
    );
    await expectEventually(() => expect(decisionsOf('conv-german')).toHaveLength(2), {
      timeoutMs: 20_000,
    });
    const [queued, offered] = decisionsOf('conv-german');
    expect(queued).toMatchObject({ type: 'queued', queueId: 'chat' });
    expect(queued?.explanation.rules).toEqual([
      'channel chat → queue chat',
      'language de ← tinyld',
      'sentiment not scored: language de (AFINN-165 is English only)',
      'priority normal ← conversation',
      'language de detected; no agent of queue chat speaks it, not required',
    ]);
    expect(offered).toMatchObject({ type: 'offered', queueId: 'chat', agentId: 'bob' });
    expect(failures).toEqual([]);
  });
});
