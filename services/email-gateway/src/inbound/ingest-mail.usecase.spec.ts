import { type InboundMessage, inboundMessageSchema } from '@switchboard/events';
import type { MessageProducer, OutgoingMessage } from '@switchboard/kafka';
import type { MailAuthenticator } from '../authenticity/mail-authenticator';
import { InMemoryStorage } from '../storage/blob-storage';
import { InMemoryThreadIndex } from '../threading/thread-index';
import { ThreadSigner } from '../threading/thread-signer';
import {
  appleMailReply,
  bounceFor,
  deeplyNestedMail,
  gmailReply,
  mailWithAttachment,
  outlookReply,
  plainMail,
} from '../testing/mail-fixtures';
import { DEFAULT_PARSE_LIMITS } from './parsing/parse-mail';
import { type IngestMailCommand, IngestMailUseCase } from './ingest-mail.usecase';

class RecordingProducer implements MessageProducer {
  readonly sent: { topic: string; message: OutgoingMessage }[] = [];
  connect = (): Promise<void> => Promise.resolve();
  disconnect = (): Promise<void> => Promise.resolve();
  isConnected = (): boolean => true;
  send(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    for (const message of messages) this.sent.push({ topic, message });
    return Promise.resolve();
  }
}

function setup(dmarc = 'pass') {
  const producer = new RecordingProducer();
  const storage = new InMemoryStorage();
  const threadIndex = new InMemoryThreadIndex();
  const signer = new ThreadSigner('unit-test-secret-0123456789');
  const authenticator: MailAuthenticator = {
    verify: () => Promise.resolve({ spf: 'pass', dkim: 'pass', dmarc }),
  };
  const sut = new IngestMailUseCase({
    producer,
    storage,
    threadIndex,
    signer,
    authenticator,
    limits: { ...DEFAULT_PARSE_LIMITS, maxAttachmentBytes: 1024, maxBodyChars: 100_000 },
  });
  const ingest = (raw: Buffer, extra: Partial<IngestMailCommand> = {}) =>
    sut.execute({
      raw,
      tenantId: 'acme',
      recipients: ['support@acme.test'],
      origin: { clientIp: '192.0.2.1', mailFrom: 'ada@customer.test' },
      source: 'smtp',
      receivedAt: new Date('2026-11-24T10:00:00Z'),
      ...extra,
    });
  const envelopes = () =>
    producer.sent.map(({ message }) =>
      inboundMessageSchema.parse(JSON.parse(String(message.value))),
    );
  return { sut, ingest, producer, storage, threadIndex, signer, envelopes };
}

const quoted = 'Your parcel left our warehouse.';

describe('IngestMailUseCase', () => {
  it('keeps a Gmail → Outlook → Apple Mail reply chain in one thread by References', async () => {
    const { ingest, envelopes, producer } = setup();
    await ingest(plainMail('Where is my parcel?', { messageId: '<m1@customer.test>' }));
    await ingest(
      gmailReply('Any news?', quoted, {
        messageId: '<m2@customer.test>',
        inReplyTo: '<m1@customer.test>',
        references: '<m1@customer.test>',
      }),
    );
    await ingest(
      outlookReply('Still waiting.', quoted, {
        messageId: '<m3@customer.test>',
        inReplyTo: '<m2@customer.test>',
        references: '<m1@customer.test> <m2@customer.test>',
      }),
    );
    await ingest(
      appleMailReply('Got it, thanks!', quoted, {
        messageId: '<m4@customer.test>',
        references: '<m1@customer.test> <m2@customer.test> <m3@customer.test>',
      }),
    );
    const threadKeys = envelopes().map((envelope) => envelope.threadKey);
    expect(threadKeys).toEqual(Array(4).fill('<m1@customer.test>'));
    expect(envelopes().map((envelope) => envelope.text)).toEqual([
      'Where is my parcel?',
      'Any news?',
      'Still waiting.',
      'Got it, thanks!',
    ]);
    expect(producer.sent[0]?.message.key).toBe('acme|email|<m1@customer.test>');
  });

  it('threads by a signed plus-address token and ignores forged ones', async () => {
    const { ingest, envelopes, signer, threadIndex } = setup();
    await threadIndex.rememberThreadRef('acme', signer.threadRef('acme', 'thread-7'), 'thread-7');
    const replyTo = signer.replyToAddress('acme', 'support@acme.test', 'thread-7');
    await ingest(plainMail('token reply', { messageId: '<t1@customer.test>', to: replyTo }), {
      recipients: [replyTo],
    });
    const forged = replyTo.replace(/\.[0-9a-f]{4}/, '.0000');
    await ingest(plainMail('forged reply', { messageId: '<t2@customer.test>', to: forged }), {
      recipients: [forged],
    });
    const otherTenant = signer.replyToAddress('globex', 'support@acme.test', 'thread-7');
    await ingest(plainMail('other tenant', { messageId: '<t3@customer.test>' }), {
      recipients: [otherTenant],
    });
    const [byToken, byForgery, byOtherTenant] = envelopes();
    expect(byToken).toMatchObject({
      threadKey: 'thread-7',
      metadata: { 'email.threadMatchedBy': 'token' },
    });
    expect(byForgery).toMatchObject({
      threadKey: '<t2@customer.test>',
      metadata: { 'email.threadRefused': 'forged thread token ignored' },
    });
    expect(byOtherTenant?.threadKey).toBe('<t3@customer.test>');
  });

  it('falls back to a signed subject marker', async () => {
    const { ingest, envelopes, signer, threadIndex } = setup();
    await threadIndex.rememberThreadRef('acme', signer.threadRef('acme', 'thread-9'), 'thread-9');
    await ingest(
      plainMail('x', {
        subject: `Re: Order ${signer.subjectMarker('acme', 'thread-9')}`,
        messageId: '<s1@c.test>',
      }),
    );
    expect(envelopes()[0]).toMatchObject({
      threadKey: 'thread-9',
      metadata: { 'email.threadMatchedBy': 'subject-marker' },
    });
  });

  it('does not let a sender failing DMARC continue someone else’s thread', async () => {
    const spoofed = await spoofedReplyToAdasThread();
    expect(spoofed.threadKey).toBe('<spoof@evil.test>');
    expect(spoofed.metadata['email.threadRefused']).toMatch(/DMARC/);
    expect(spoofed.sender.verified).toBe(false);
  });

  it('flags our own outbound mail coming back, and links a bounce to the original message', async () => {
    const { ingest, envelopes, signer, threadIndex } = setup();
    const ours = signer.outboundMessageId('acme', 'out-1', 'acme.test');
    await threadIndex.rememberMessage('acme', ours, 'thread-3');
    await ingest(plainMail('echo', { messageId: ours }));
    await ingest(bounceFor(ours, 'gone@customer.test'));
    const [echo, bounce] = envelopes();
    expect(echo?.flags.ownMessageEcho).toBe(true);
    expect(bounce).toMatchObject({
      threadKey: 'thread-3',
      flags: { bounce: true, autoReply: true },
      metadata: {
        'email.undeliverableAddress': 'gone@customer.test',
        'email.bounceStatus': '5.1.1',
      },
    });
  });

  it('stores attachments by content, and lists oversized ones without content', async () => {
    const { ingest, envelopes, storage } = setup();
    await ingest(
      mailWithAttachment('small.zip', Buffer.alloc(100, 1), { messageId: '<a1@c.test>' }),
    );
    await ingest(
      mailWithAttachment('bomb.zip', Buffer.alloc(5000, 0), { messageId: '<a2@c.test>' }),
    );
    const [small, big] = envelopes();
    expect(small?.attachments[0]).toMatchObject({
      filename: 'small.zip',
      sizeBytes: 100,
    });
    expect(small?.attachments[0]?.storageKey).toMatch(/^attachments\/acme\//);
    expect(storage.blobs.get(small?.attachments[0]?.storageKey ?? '')?.length).toBe(100);
    expect(big?.attachments[0]).toMatchObject({ filename: 'bomb.zip', sizeBytes: 5000 });
    expect(big?.attachments[0]?.storageKey).toBeUndefined();
    expect(big?.metadata['email.attachmentProblems']).toBe(
      'bomb.zip: 5000 bytes exceed the 1024-byte attachment limit',
    );
  });

  it('archives and dead-letters an unparseable mail with its reason', async () => {
    const { ingest, producer, storage } = setup();
    const outcome = await ingest(deeplyNestedMail(80));
    expect(outcome).toMatchObject({
      kind: 'rejected',
      reason: 'Maximum MIME nesting depth of 50 levels exceeded',
    });
    expect(producer.sent).toHaveLength(1);
    expect(producer.sent[0]?.topic).toBe('switchboard.inbound-messages.v1.dlq');
    expect(producer.sent[0]?.message.headers?.['x-dlq-reason']).toBe(
      'Maximum MIME nesting depth of 50 levels exceeded',
    );
    const archived =
      outcome.kind === 'rejected' ? storage.blobs.get(outcome.archiveKey) : undefined;
    expect(archived?.equals(deeplyNestedMail(80))).toBe(true);
  });

  it('derives the same ids on a retry, so a redelivery dedupes downstream', async () => {
    const { ingest, envelopes } = setup();
    const raw = plainMail('no message id', { messageId: '' });
    await ingest(raw);
    await ingest(raw);
    const [first, second] = envelopes();
    expect(first?.messageId).toBe(second?.messageId);
    expect(first?.externalMessageId).toBe(second?.externalMessageId);
  });
});

/** A spoofed mail (DMARC fail) from Mallory replying to Ada's thread. */
async function spoofedReplyToAdasThread(): Promise<InboundMessage> {
  const { ingest, threadIndex, envelopes } = setup('fail');
  await threadIndex.rememberMessage('acme', '<own@customer.test>', '<own@customer.test>');
  await threadIndex.addParticipants('acme', '<own@customer.test>', ['ada@customer.test']);
  await ingest(
    plainMail('give me the refund', {
      from: 'mallory@evil.test',
      messageId: '<spoof@evil.test>',
      inReplyTo: '<own@customer.test>',
    }),
  );
  const [envelope] = envelopes();
  if (!envelope) throw new Error('expected an envelope');
  return envelope;
}
