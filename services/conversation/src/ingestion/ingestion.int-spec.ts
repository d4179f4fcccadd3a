import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  conversationEventSchema,
  decodeEnvelope,
  type RoutingDecisionEvent,
  routingDecisionSchema,
} from '@switchboard/events';
import { DEAD_LETTER_HEADERS } from '@switchboard/kafka';
import { createTestContext, expectEventually, type TestContext } from '@switchboard/testing';
import {
  encode,
  inboundMessage,
  openConversationHarness,
  type ConversationHarness,
} from '../../test/conversation-harness';
import { AssignCommand, SetPriorityCommand } from '../agent-api/agent-commands';
import { loadSlaConfigFile } from '../config/sla-config';
import { MergeContactsCommand } from '../contacts/merge-contacts.usecase';
import type { ConversationCore } from '../conversations/conversation-core';
import { type MongoConversationRepository } from '../persistence/conversation.repository';
import { type MongoEventLogRepository } from '../persistence/event-log.repository';
import { type MongoMessageRepository } from '../persistence/message.repository';
import { asTenantId } from '../shared/tenant-id';
import { IngestInboundMessageCommand } from './ingest-inbound-message.command';
import { InboundMessageConsumer } from './inbound-message.consumer';
import pino from 'pino';
import { crashOnceAfter, SimulatedCrash } from '../../test/simulated-crash';

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

  it('gives the router the text, the sender address and the metadata on created and inbound message_added', async () => {
    const longText = `  ${'é'.repeat(1_999)}😀 and more  `;
    const first = inboundMessage(context.tenantId, {
      channel: 'chat',
      sender: { kind: 'email', value: 'Lin@Example.COM', verified: false },
      text: longText,
      metadata: { 'prechat.topic': 'billing', preChatTopic: 'refunds', $odd: 'kept' },
    });
    const { conversationId } = await core.ingestInboundMessage.execute(
      IngestInboundMessageCommand.fromEnvelope(first),
    );
    const second = inboundMessage(context.tenantId, {
      channel: 'chat',
      threadKey: first.threadKey,
      sender: { kind: 'email', value: 'lin@example.com', verified: false },
      text: '\n Still waiting \n',
      metadata: {},
    });
    await core.ingestInboundMessage.execute(IngestInboundMessageCommand.fromEnvelope(second));
    const expectedFirst = {
      // Trimmed, then cut to 2,000 characters without splitting the emoji's surrogate pair.
      text: 'é'.repeat(1_999),
      senderAddress: 'lin@example.com',
      'meta.prechat.topic': 'billing',
      'meta.preChatTopic': 'refunds',
      'meta.$odd': 'kept',
    };

    const published = await harness.collect(harness.topics.conversationEvents);
    const events = await expectEventually(
      () => {
        const ofConversation = published
          .map((m) => decodeEnvelope('conversation event', conversationEventSchema, m.value))
          .filter((e) => e.conversationId === conversationId);
        expect(ofConversation).toHaveLength(3);
        return ofConversation.sort((a, b) => a.sequence - b.sequence);
      },
      { timeoutMs: 20_000 },
    );
    expect(events.map((e) => e.type)).toEqual(['created', 'message_added', 'message_added']);
    expect(events[0]?.data).toEqual(expectedFirst);
    expect(events[1]?.data).toMatchObject({ ...expectedFirst, direction: 'inbound' });
    expect(events[2]?.data).toEqual({
      text: 'Still waiting',
      senderAddress: 'lin@example.com',
      messageId: events[2]?.data['messageId'],
      direction: 'inbound',
      automated: 'false',
    });
    expect(Object.keys(events[2]?.data ?? {}).some((key) => key.startsWith('meta.'))).toBe(false);
    // The event log (what WatchEvents replays) keeps the same keys, dots and `$` included.
    const logged = (await core.repositories.eventLog.readAfter(tenant(), 0, 10_000)).filter(
      (event) => event.conversationId === conversationId,
    );
    expect(logged.map((event) => event.data)).toEqual(events.map((event) => event.data));
  }, 60_000);

  it("applies the customer's edits, reactions and deletes once each, newest edit winning", async () => {
    const original = inboundMessage(context.tenantId, { channel: 'whatsapp' });
    const { conversationId, messageId } = await core.ingestInboundMessage.execute(
      IngestInboundMessageCommand.fromEnvelope(original),
    );
    const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
    const change = (kind: 'edit' | 'reaction' | 'delete', extra: object = {}) =>
      IngestInboundMessageCommand.fromEnvelope(
        inboundMessage(context.tenantId, {
          channel: 'whatsapp',
          threadKey: original.threadKey,
          kind,
          targetExternalMessageId: original.externalMessageId,
          ...extra,
        }),
      );
    const edit = change('edit', { text: 'Where is parcel 42?', receivedAt: at(2_000) });
    const olderEdit = change('edit', { text: 'Where is parcel 4?', receivedAt: at(1_000) });
    const reaction = change('reaction', { text: '', reactionEmoji: '👍', receivedAt: at(3_000) });
    expect((await core.ingestInboundMessage.execute(edit)).appended).toBe(true);
    expect((await core.ingestInboundMessage.execute(edit)).appended).toBe(false); // redelivered
    // Older than the edit shown: not applied, not announced.
    expect((await core.ingestInboundMessage.execute(olderEdit)).appended).toBe(false);
    await core.ingestInboundMessage.execute(reaction);
    const message = () => core.repositories.messages.findById(tenant(), messageId);
    expect(await message()).toMatchObject({
      text: 'Where is parcel 42?', // the late, older edit did not win
      reaction: { emoji: '👍' },
      deletedAt: undefined,
    });
    await core.ingestInboundMessage.execute(change('delete', { text: '', receivedAt: at(4_000) }));
    expect((await message())?.text).toBe('');
    expect((await message())?.deletedAt).toBeInstanceOf(Date);
    const lateEdit = change('edit', { text: 'Back again', receivedAt: at(5_000) });
    expect((await core.ingestInboundMessage.execute(lateEdit)).appended).toBe(false);
    expect((await message())?.text).toBe('');

    const logged = (await core.repositories.eventLog.readAfter(tenant(), 0, 10_000)).filter(
      (event) => event.conversationId === conversationId,
    );
    expect(logged.map((event) => event.type)).toEqual([
      'created',
      'message_added',
      'message_edited',
      'message_reacted',
      'message_deleted',
    ]);
    expect(logged.slice(2).every((event) => !event.triggersRouting)).toBe(true);
    expect(logged[2]?.data).toMatchObject({ messageId, text: 'Where is parcel 42?' });
    expect(logged[3]?.data).toMatchObject({ messageId, emoji: '👍' });
    const conversation = await core.repositories.conversations.findById(tenant(), conversationId);
    expect(conversation).toMatchObject({ inboundCount: 1, pending: [] });

    // A change naming no known message cannot be applied: it is refused with its reason.
    const orphan = IngestInboundMessageCommand.fromEnvelope(
      inboundMessage(context.tenantId, {
        channel: 'whatsapp',
        kind: 'reaction',
        reactionEmoji: '❤️',
        targetExternalMessageId: 'wamid.unknown',
      }),
    );
    await expect(core.ingestInboundMessage.execute(orphan)).rejects.toThrow(
      'targetExternalMessageId: "wamid.unknown" is no message of this tenant',
    );
    expect(() =>
      IngestInboundMessageCommand.fromEnvelope(
        inboundMessage(context.tenantId, { kind: 'edit', text: 'x' }),
      ),
    ).toThrow('targetExternalMessageId is required for kind "edit"');
  }, 30_000);

  it('a crash after a customer change reached the message is completed once by the redelivery', async () => {
    const crashing = await harness.core({
      wrap: {
        messages: (r: MongoMessageRepository) => crashOnceAfter(r, 'applyCustomerChange'),
      },
    });
    const original = inboundMessage(context.tenantId);
    const { conversationId, messageId } = await crashing.ingestInboundMessage.execute(
      IngestInboundMessageCommand.fromEnvelope(original),
    );
    const edit = IngestInboundMessageCommand.fromEnvelope(
      inboundMessage(context.tenantId, {
        threadKey: original.threadKey,
        kind: 'edit',
        text: 'Edited',
        targetExternalMessageId: original.externalMessageId,
      }),
    );
    await expect(crashing.ingestInboundMessage.execute(edit)).rejects.toBeInstanceOf(
      SimulatedCrash,
    );
    await crashing.ingestInboundMessage.execute(edit);
    await crashing.ingestInboundMessage.execute(edit);
    await expectConsistent(conversationId, 3);
    expect(await core.repositories.messages.findById(tenant(), messageId)).toMatchObject({
      text: 'Edited',
      appliedChanges: [expect.any(String)],
    });
  }, 30_000);

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

  it("takes due times from the tenant's SLA file, and moves them when the queue or priority changes", async () => {
    const directory = mkdtempSync(join(tmpdir(), 'sla-'));
    const path = join(directory, 'sla.yaml');
    writeFileSync(
      path,
      [
        'tenants:',
        `  ${context.tenantId}:`,
        '    targets: { firstResponse: 5m }',
        '    priorities:',
        '      urgent: { firstResponse: 3m }',
        '    queues:',
        '      vip:',
        '        targets: { firstResponse: 2m }',
        '        priorities:',
        '          urgent: { firstResponse: 1m }',
        `  ${context.tenantId}-other:`,
        '    targets: { firstResponse: 1m }',
      ].join('\n'),
    );
    const configured = await harness.core({ sla: loadSlaConfigFile(path) });
    rmSync(directory, { recursive: true });
    const supervisor = {
      agentId: 'sup-1',
      tenantId: context.tenantId,
      roles: ['supervisor'] as const,
      queueIds: [],
    };
    const { conversationId } = await configured.ingestInboundMessage.execute(
      IngestInboundMessageCommand.fromEnvelope(inboundMessage(context.tenantId)),
    );
    const firstResponseAfter = async () => {
      const conversation = await configured.repositories.conversations.findById(
        tenant(),
        conversationId,
      );
      if (!conversation?.sla.firstResponseDueAt) throw new Error('no first-response clock');
      return (
        (conversation.sla.firstResponseDueAt.getTime() - conversation.createdAt.getTime()) / 60_000
      );
    };
    // Email's default is 1 h; the tenant's own target applies.
    expect(await firstResponseAfter()).toBe(5);
    await configured.setPriority.execute(
      new SetPriorityCommand(supervisor, conversationId, 'urgent'),
    );
    expect(await firstResponseAfter()).toBe(3);
    await configured.applyRoutingDecision.execute(routedTo(conversationId, 'vip'));
    expect(await firstResponseAfter()).toBe(1);
    await configured.setPriority.execute(
      new SetPriorityCommand(supervisor, conversationId, 'normal'),
    );
    expect(await firstResponseAfter()).toBe(2);
    await configured.assign.execute(
      new AssignCommand(supervisor, conversationId, undefined, 'general', 'transfer'),
    );
    expect(await firstResponseAfter()).toBe(5);
  }, 30_000);

  function routedTo(conversationId: string, queueId: string): RoutingDecisionEvent {
    return routingDecisionSchema.parse({
      schemaVersion: 1,
      tenantId: context.tenantId,
      decisionId: `d-${conversationId}-${queueId}`,
      conversationId,
      type: 'queued',
      queueId,
      explanation: { reason: 'test' },
      decidedAt: new Date().toISOString(),
    });
  }

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
