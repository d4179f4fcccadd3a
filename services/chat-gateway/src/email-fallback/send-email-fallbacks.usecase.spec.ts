import type { OutboundMessage } from '@switchboard/events';
import { parseChatTenants } from '../config/chat-tenants.config';
import { AcceptAgentReplyUseCase } from '../outbound/accept-agent-reply.usecase';
import type { PendingReply, ReplyMailbox } from '../outbound/reply-mailbox.store';
import { TenantDirectory } from '../sessions/tenant-directory';
import type { EmailFallbackSchedule, FallbackEntry } from './email-fallback.store';
import { emailFallbackMessageId, SendEmailFallbacksUseCase } from './send-email-fallbacks.usecase';
import type { VisitorContact, VisitorContactStore } from './visitor-contact.store';

/** The schedule's contract in memory: NX scheduling, leased claims, sent markers. */
class InMemorySchedule implements EmailFallbackSchedule {
  readonly due = new Map<string, number>();
  readonly sent = new Set<string>();
  async schedule(entry: FallbackEntry, dueAt: Date): Promise<void> {
    if (!this.due.has(JSON.stringify(entry))) this.due.set(JSON.stringify(entry), dueAt.getTime());
  }
  async claimDue(now: Date, leaseMs: number, limit: number): Promise<FallbackEntry[]> {
    const claimed = [...this.due]
      .filter(([, at]) => at <= now.getTime())
      .slice(0, limit)
      .map(([member]) => member);
    for (const member of claimed) this.due.set(member, now.getTime() + leaseMs);
    return claimed.map((member) => JSON.parse(member) as FallbackEntry);
  }
  async complete(entry: FallbackEntry): Promise<void> {
    this.due.delete(JSON.stringify(entry));
  }
  async isSent(entry: FallbackEntry): Promise<boolean> {
    return this.sent.has(entry.messageId);
  }
  async markSent(entry: FallbackEntry): Promise<void> {
    this.sent.add(entry.messageId);
  }
}

describe('email fallback', () => {
  const tenants = new TenantDirectory(
    parseChatTenants(
      'tenants: [{ id: t1, name: Acme Shop, allowedOrigins: ["https://x.example"] }]',
    ),
  );
  const AFTER_MS = 60_000;

  function setup() {
    let now = new Date('2025-01-01T00:00:00Z');
    const clock = { now: () => now };
    const advance = (ms: number) => {
      now = new Date(now.getTime() + ms);
    };
    const pending = new Map<string, PendingReply>();
    const mailbox: ReplyMailbox = {
      enqueue: async (_t, _k, reply) => {
        if (pending.has(reply.messageId)) return false;
        pending.set(reply.messageId, reply);
        return true;
      },
      pending: async () => [...pending.values()],
      find: async (_t, _k, id) => pending.get(id),
      markDelivered: async (_t, _k, reply) => pending.delete(reply.messageId),
      deliveredConversation: async () => undefined,
      isRead: async () => false,
      markRead: async () => undefined,
      pendingCount: async () => pending.size,
    };
    const contactsByThread = new Map<string, VisitorContact>();
    const contacts: VisitorContactStore = {
      remember: async (_t, thread, contact) => {
        contactsByThread.set(thread, contact);
      },
      find: async (_t, thread) => contactsByThread.get(thread),
    };
    const schedule = new InMemorySchedule();
    const published: OutboundMessage[] = [];
    let kafkaUp = true;
    const publisher = {
      publishOutbound: async (message: OutboundMessage) => {
        if (!kafkaUp) throw new Error('kafka down');
        published.push(message);
      },
    };
    const accept = new AcceptAgentReplyUseCase(
      mailbox,
      { pushReplies: () => undefined },
      { schedule, contacts, afterMs: AFTER_MS, clock },
    );
    const sut = new SendEmailFallbacksUseCase(
      schedule,
      mailbox,
      contacts,
      publisher,
      tenants,
      clock,
      { leaseMs: 30_000, batchSize: 10 },
    );
    const setKafka = (up: boolean) => {
      kafkaUp = up;
    };
    return { sut, accept, mailbox, contacts, schedule, published, advance, setKafka };
  }

  const reply = (messageId: string, threadKey: string): OutboundMessage => ({
    schemaVersion: 1,
    tenantId: 't1',
    messageId,
    conversationId: `conv-${threadKey}`,
    channel: 'chat',
    threadKey,
    recipient: { kind: 'chat_visitor', value: 'v_1', verified: false },
    authorAgentId: 'agent-7',
    text: `text of ${messageId}`,
    attachments: [],
    inReplyTo: [],
    createdAt: '2025-01-01T00:00:00.000Z',
  });

  it('emails an unacknowledged reply once when due, and never an acknowledged one', async () => {
    const { sut, accept, mailbox, contacts, published, advance } = setup();
    await contacts.remember('t1', 'visitor:a', { email: 'ada@example.com', name: 'Ada' });
    await contacts.remember('t1', 'visitor:b', { email: 'bob@example.com' });
    await accept.execute(reply('r-a', 'visitor:a'));
    await accept.execute(reply('r-b', 'visitor:b'));
    await accept.execute(reply('r-c', 'visitor:c')); // no address: never scheduled
    const acked = await mailbox.find('t1', 'visitor:b', 'r-b');
    await mailbox.markDelivered('t1', 'visitor:b', acked!);

    advance(AFTER_MS - 1);
    expect(await sut.execute()).toEqual([]);
    advance(1);
    const results = await sut.execute();
    expect(results.map((result) => [result.entry.messageId, result.outcome])).toEqual([
      ['r-a', 'sent'],
      ['r-b', 'acknowledged'],
    ]);
    expect(published).toEqual([
      {
        schemaVersion: 1,
        tenantId: 't1',
        messageId: emailFallbackMessageId('t1', 'r-a'),
        conversationId: 'conv-visitor:a',
        channel: 'email',
        threadKey: 'visitor:a',
        recipient: { kind: 'email', value: 'ada@example.com', displayName: 'Ada', verified: false },
        authorAgentId: 'agent-7',
        subject: 'Your conversation with Acme Shop',
        text: 'text of r-a',
        attachments: [],
        inReplyTo: [],
        createdAt: '2025-01-01T00:01:00.000Z',
      },
    ]);

    // A Kafka redelivery of the reply schedules it again; it is not emailed twice.
    await accept.execute(reply('r-a', 'visitor:a'));
    advance(AFTER_MS);
    expect((await sut.execute()).map((result) => result.outcome)).toEqual(['already_sent']);
    expect(published).toHaveLength(1);
    expect(await sut.execute()).toEqual([]);
  });

  it('keeps a failed entry leased and retries it after the lease, with the same message id', async () => {
    const { sut, accept, contacts, schedule, published, advance, setKafka } = setup();
    await contacts.remember('t1', 'visitor:a', { email: 'ada@example.com' });
    await accept.execute(reply('r-a', 'visitor:a'));
    advance(AFTER_MS);
    setKafka(false);
    expect((await sut.execute()).map((result) => result.outcome)).toEqual(['failed']);
    setKafka(true);
    // Leased: neither this replica nor another takes it before the lease ends.
    expect(await sut.execute()).toEqual([]);
    advance(30_000);
    expect((await sut.execute()).map((result) => result.outcome)).toEqual(['sent']);
    expect(published.map((message) => message.messageId)).toEqual([
      emailFallbackMessageId('t1', 'r-a'),
    ]);
    expect(schedule.due.size).toBe(0);
  });

  it('derives distinct ids per tenant and reply', () => {
    expect(emailFallbackMessageId('t1', 'r-a')).toMatch(/^chatmail_[0-9a-f]{32}$/);
    expect(emailFallbackMessageId('t1', 'r-a')).toBe(emailFallbackMessageId('t1', 'r-a'));
    expect(emailFallbackMessageId('t2', 'r-a')).not.toBe(emailFallbackMessageId('t1', 'r-a'));
    expect(emailFallbackMessageId('t1', 'r-b')).not.toBe(emailFallbackMessageId('t1', 'r-a'));
  });
});
