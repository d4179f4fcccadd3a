import { conversationEventSchema, decodeEnvelope } from '@switchboard/events';
import { DEAD_LETTER_HEADERS } from '@switchboard/kafka';
import { createTestContext, expectEventually, type TestContext } from '@switchboard/testing';
import {
  encode,
  inboundMessage,
  openConversationHarness,
  type ConversationHarness,
} from '../../test/conversation-harness';
import { MergeContactsCommand } from '../contacts/merge-contacts.usecase';
import type { ConversationCore } from '../conversations/conversation-core';
import { type MongoConversationRepository } from '../persistence/conversation.repository';
import { type MongoEventLogRepository } from '../persistence/event-log.repository';
import { type MongoMessageRepository } from '../persistence/message.repository';
import { asTenantId } from '../shared/tenant-id';
import { IngestInboundMessageCommand } from './ingest-inbound-message.command';
import { InboundMessageConsumer } from './inbound-message.consumer';
import pino from 'pino';

/** Fails the named step once, after it did its write: a crash between two writes. */
class SimulatedCrash extends Error {}

function crashOnceAfter<T extends object>(target: T, method: keyof T & string): T {
  let crashed = false;
  const original = (target[method] as (...args: unknown[]) => Promise<unknown>).bind(target);
  Object.assign(target, {
    [method]: async (...args: unknown[]) => {
      const result = await original(...args);
      if (!crashed) {
        crashed = true;
        throw new SimulatedCrash(`crash after ${method}`);
      }
      return result;
    },
  });
  return target;
}

describe('ingesting inbound messages (real Kafka and MongoDB wire)', () => {
  let context: TestContext;
  let harness: ConversationHarness;
  let core: ConversationCore;

  beforeAll(async () => {
    context = createTestContext('conversation ingestion');
    harness = await openConversationHarness(context);
    core = await harness.core();
  }, 60_000);

  afterAll(async () => {
    await harness.close();
  }, 30_000);

  const tenant = () => asTenantId(context.tenantId);

  async function expectConsistent(conversationId: string, expectedSeq: number): Promise<void> {
    const conversation = await core.repositories.conversations.findById(tenant(), conversationId);
    expect(conversation?.seq).toBe(expectedSeq);
    expect(conversation?.pending).toEqual([]);
    const logged = await core.models.events
      .find({ tenantId: context.tenantId, conversationId })
      .sort({ seq: 1 })
      .lean()
      .exec();
    expect(logged.map((event) => event.seq)).toEqual(
      Array.from({ length: expectedSeq }, (_, index) => index + 1),
    );
  }

  it('consumes from Kafka, threads by thread key and dedupes redeliveries by external id', async () => {
    const consumer = new InboundMessageConsumer(
      harness.kafka,
      core.ingestInboundMessage,
      {
        topic: harness.topics.inboundMessages,
        groupId: `${context.topicPrefix}conversation`,
        retryBackoffMs: 20,
        maxAttempts: 2,
        sessionTimeoutMs: 6_000,
        heartbeatIntervalMs: 500,
      },
      pino({ level: 'silent' }),
    );
    await consumer.start();
    const producer = harness.kafka.createProducer();
    try {
      const first = inboundMessage(context.tenantId);
      const reply = inboundMessage(context.tenantId, {
        threadKey: first.threadKey,
        text: 'Any news?',
      });
      const other = inboundMessage(context.tenantId);
      const key = first.threadKey;
      await producer.send(harness.topics.inboundMessages, [
        { key, value: encode(first) },
        { key, value: encode(first) },
        { key, value: encode(reply) },
        { key, value: encode(first) },
        { key: other.threadKey, value: encode(other) },
        { key: 'bad', value: '{"schemaVersion":1,"tenantId":""}' },
      ]);

      const conversations = await expectEventually(
        async () => {
          const found = await core.repositories.conversations.list(tenant(), {}, undefined, 10);
          expect(found).toHaveLength(2);
          const threaded = found.find((c) => c.threadKey === first.threadKey);
          expect(threaded?.inboundCount).toBe(2);
          expect(threaded?.pending).toEqual([]);
          return found;
        },
        { timeoutMs: 20_000 },
      );
      const threaded = conversations.find((c) => c.threadKey === first.threadKey);
      if (!threaded) throw new Error('threaded conversation missing');
      await expectConsistent(threaded.id, 3); // created, message, message
      const messages = await core.repositories.messages.listByConversation(tenant(), threaded.id);
      expect(messages.map((m) => m.text)).toEqual(['Where is my parcel?', 'Any news?']);
      // Same verified email on both threads: one contact.
      expect(new Set(conversations.map((c) => c.contactId)).size).toBe(1);

      const deadLetters = await harness.collect(`${harness.topics.inboundMessages}.dlq`);
      await expectEventually(() => expect(deadLetters).toHaveLength(1), { timeoutMs: 20_000 });
      expect(deadLetters[0]?.headers[DEAD_LETTER_HEADERS.reason]).toContain(
        'invalid inbound message',
      );
      expect(deadLetters[0]?.headers[DEAD_LETTER_HEADERS.reason]).toContain('tenantId');

      const published = await harness.collect(harness.topics.conversationEvents);
      await expectEventually(() => expect(published.length).toBeGreaterThanOrEqual(5), {
        timeoutMs: 20_000,
      });
      const events = published.map((m) =>
        decodeEnvelope('conversation event', conversationEventSchema, m.value),
      );
      const ofThread = events.filter((e) => e.conversationId === threaded.id);
      expect(ofThread.map((e) => `${e.sequence}:${e.type}`)).toEqual([
        '1:created',
        '2:message_added',
        '3:message_added',
      ]);
      // Keyed by conversation: one conversation's events stay in order on one partition.
      expect(
        published.every(
          (m) => m.key === decodeEnvelope('e', conversationEventSchema, m.value).conversationId,
        ),
      ).toBe(true);
    } finally {
      await producer.disconnect();
      await consumer.stop();
    }
  }, 60_000);

  const crashPoints: Array<[string, Parameters<typeof harness.core>[0]]> = [
    [
      'after the message insert',
      { wrap: { messages: (r: MongoMessageRepository) => crashOnceAfter(r, 'insertOnce') } },
    ],
    [
      'after the conversation change',
      { wrap: { conversations: (r: MongoConversationRepository) => crashOnceAfter(r, 'commit') } },
    ],
    [
      'after the event-log append',
      { wrap: { eventLog: (r: MongoEventLogRepository) => crashOnceAfter(r, 'append') } },
    ],
    [
      'after marking the message applied',
      { wrap: { messages: (r: MongoMessageRepository) => crashOnceAfter(r, 'markApplied') } },
    ],
    [
      'after the conversation was created',
      {
        wrap: {
          conversations: (r: MongoConversationRepository) => crashOnceAfter(r, 'createIfAbsent'),
        },
      },
    ],
  ];

  it.each(crashPoints)(
    'a crash %s leaves no half state once the message is redelivered',
    async (_, overrides) => {
      const crashing = await harness.core(overrides);
      const message = inboundMessage(context.tenantId);
      const command = IngestInboundMessageCommand.fromEnvelope(message);

      await expect(crashing.ingestInboundMessage.execute(command)).rejects.toBeInstanceOf(
        SimulatedCrash,
      );
      const redelivered = await crashing.ingestInboundMessage.execute(command);
      const again = await crashing.ingestInboundMessage.execute(command);

      expect(again.appended).toBe(false);
      await expectConsistent(redelivered.conversationId, 2);
      const messages = await core.repositories.messages.listByConversation(
        tenant(),
        redelivered.conversationId,
      );
      expect(messages).toHaveLength(1);
      expect(messages[0]?.conversationSeq).toBe(2);
    },
  );

  it('keeps the tenant-wide cursor gap-free and ordered per conversation under concurrent writers', async () => {
    const thread = inboundMessage(context.tenantId).threadKey;
    await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        core.ingestInboundMessage.execute(
          IngestInboundMessageCommand.fromEnvelope(
            inboundMessage(context.tenantId, {
              threadKey: index % 2 ? thread : `${thread}-${index}`,
            }),
          ),
        ),
      ),
    );
    const all = await core.repositories.eventLog.readAfter(tenant(), 0, 10_000);
    expect(all.map((event) => event.cursor)).toEqual(all.map((_, index) => index + 1));
    const byConversation = new Map<string, number[]>();
    for (const event of all) {
      byConversation.set(event.conversationId, [
        ...(byConversation.get(event.conversationId) ?? []),
        event.seq,
      ]);
    }
    for (const seqs of byConversation.values()) {
      expect(seqs).toEqual(seqs.map((_, index) => index + 1));
    }
  }, 30_000);

  it('records automated messages without reopening a resolved conversation or routing', async () => {
    const first = inboundMessage(context.tenantId);
    const { conversationId } = await core.ingestInboundMessage.execute(
      IngestInboundMessageCommand.fromEnvelope(first),
    );
    await core.changer.change(tenant(), conversationId, () => ({
      patch: { status: 'resolved' },
      events: [
        {
          type: 'status_changed',
          actor: { kind: 'agent', id: 'agent-1' },
          triggersRouting: false,
          data: { previousStatus: 'open', status: 'resolved' },
        },
      ],
    }));
    const autoReply = inboundMessage(context.tenantId, {
      threadKey: first.threadKey,
      flags: { autoReply: true, bounce: false, bulk: false, ownMessageEcho: false },
    });
    await core.ingestInboundMessage.execute(IngestInboundMessageCommand.fromEnvelope(autoReply));
    let conversation = await core.repositories.conversations.findById(tenant(), conversationId);
    expect(conversation?.status).toBe('resolved');
    const afterAuto = await core.models.events
      .findOne({ tenantId: context.tenantId, conversationId, seq: 4 })
      .lean()
      .exec();
    expect(afterAuto).toMatchObject({ type: 'message_added', triggersRouting: false });

    const human = inboundMessage(context.tenantId, {
      threadKey: first.threadKey,
      text: 'Still broken',
    });
    await core.ingestInboundMessage.execute(IngestInboundMessageCommand.fromEnvelope(human));
    conversation = await core.repositories.conversations.findById(tenant(), conversationId);
    expect(conversation).toMatchObject({ status: 'open', reopenCount: 1, seq: 6 });
  }, 30_000);

  it('publishes one sla_breached event when the first-response target passes', async () => {
    let now = new Date();
    const timed = await harness.core({ clock: { now: () => now } });
    const { conversationId } = await timed.ingestInboundMessage.execute(
      IngestInboundMessageCommand.fromEnvelope(
        inboundMessage(context.tenantId, {
          channel: 'chat',
          sender: { kind: 'chat_visitor', value: 'v-sla', verified: false },
        }),
      ),
    );
    const before = await timed.repositories.conversations.findById(tenant(), conversationId);
    expect(before?.sla.firstResponseDueAt).toEqual(new Date(now.getTime() + 60_000));

    await timed.checkSlaBreaches.execute();
    now = new Date(now.getTime() + 61_000);
    await timed.checkSlaBreaches.execute();
    await timed.checkSlaBreaches.execute();

    const after = await timed.repositories.conversations.findById(tenant(), conversationId);
    expect(after?.sla).toMatchObject({ breached: ['first_response'] });
    expect(after?.sla.firstResponseDueAt).toBeUndefined();
    const breaches = await timed.models.events
      .find({ tenantId: context.tenantId, conversationId, type: 'sla_breached' })
      .lean()
      .exec();
    expect(breaches).toHaveLength(1);
    expect(breaches[0]).toMatchObject({
      data: { target: 'first_response' },
      triggersRouting: true,
    });
  }, 30_000);

  it('merges contacts reversibly, never two different verified identifiers', async () => {
    const byEmail = await core.ingestInboundMessage.execute(
      IngestInboundMessageCommand.fromEnvelope(
        inboundMessage(context.tenantId, {
          sender: { kind: 'email', value: 'Grace@Example.com', verified: true },
        }),
      ),
    );
    const byChat = await core.ingestInboundMessage.execute(
      IngestInboundMessageCommand.fromEnvelope(
        inboundMessage(context.tenantId, {
          channel: 'chat',
          sender: { kind: 'chat_visitor', value: 'visitor-77', verified: false },
        }),
      ),
    );
    const otherVerified = await core.ingestInboundMessage.execute(
      IngestInboundMessageCommand.fromEnvelope(
        inboundMessage(context.tenantId, {
          sender: { kind: 'email', value: 'someone-else@example.com', verified: true },
        }),
      ),
    );
    const contactOf = async (conversationId: string) =>
      (await core.repositories.conversations.findById(tenant(), conversationId))?.contactId ?? '';
    const grace = await contactOf(byEmail.conversationId);
    const visitor = await contactOf(byChat.conversationId);
    const stranger = await contactOf(otherVerified.conversationId);
    // Same identity, different case: still the same contact.
    const again = await core.ingestInboundMessage.execute(
      IngestInboundMessageCommand.fromEnvelope(
        inboundMessage(context.tenantId, {
          sender: { kind: 'email', value: 'grace@example.com', verified: true },
        }),
      ),
    );
    expect(await contactOf(again.conversationId)).toBe(grace);

    await expect(
      core.mergeContacts.execute(
        new MergeContactsCommand(tenant(), grace, stranger, 'same person?', 'sup-1'),
      ),
    ).rejects.toThrow('never merged');

    const mergeId = await core.mergeContacts.execute(
      new MergeContactsCommand(tenant(), grace, visitor, 'told us in chat', 'sup-1'),
    );
    expect(await core.repositories.contacts.mergedFamily(tenant(), grace)).toEqual([
      grace,
      visitor,
    ]);
    expect(
      (await core.repositories.contacts.findIdentity(tenant(), 'chat_visitor', 'visitor-77'))
        ?.contactId,
    ).toBe(grace);

    await core.unmergeContacts.execute(tenant(), mergeId);
    expect(await core.repositories.contacts.mergedFamily(tenant(), grace)).toEqual([grace]);
    expect(
      (await core.repositories.contacts.findIdentity(tenant(), 'chat_visitor', 'visitor-77'))
        ?.contactId,
    ).toBe(visitor);
  }, 30_000);
});
