import {
  type DeliveryStatus,
  deliveryStatusSchema,
  type OutboundMessage,
} from '@switchboard/events';
import type { MessageProducer, OutgoingMessage } from '@switchboard/kafka';
import { InMemoryStorage } from '../storage/blob-storage';
import { TenantDirectory } from '../tenants/tenant-directory';
import { InMemoryThreadIndex } from '../threading/thread-index';
import { ThreadSigner } from '../threading/thread-signer';
import { type MailTransport, type OutboundMail, RelayDeliveryError } from './mail-transport';
import { InMemoryOutboundLedger } from './outbound-ledger';
import { ReportBounceUseCase } from './report-bounce.usecase';
import { DeliveryDeferredError, SendOutboundMailUseCase } from './send-outbound-mail.usecase';

class RecordingProducer implements MessageProducer {
  readonly sent: { topic: string; message: OutgoingMessage }[] = [];
  connect = (): Promise<void> => Promise.resolve();
  disconnect = (): Promise<void> => Promise.resolve();
  isConnected = (): boolean => true;
  send(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    for (const message of messages) this.sent.push({ topic, message });
    return Promise.resolve();
  }
  statuses(): DeliveryStatus[] {
    return this.sent.map(({ message }) =>
      deliveryStatusSchema.parse(JSON.parse(String(message.value))),
    );
  }
}

/** Answers with the scripted errors first, then accepts. */
class ScriptedTransport implements MailTransport {
  readonly mails: OutboundMail[] = [];
  readonly failures: RelayDeliveryError[] = [];
  send(mail: OutboundMail): Promise<{ response: string }> {
    const failure = this.failures.shift();
    if (failure) return Promise.reject(failure);
    this.mails.push(mail);
    return Promise.resolve({ response: '250 ok' });
  }
  close(): void {}
}

const NOW = new Date('2026-11-25T12:00:00Z');

function setup(maxAttempts = 3) {
  const producer = new RecordingProducer();
  const transport = new ScriptedTransport();
  const ledger = new InMemoryOutboundLedger();
  const threadIndex = new InMemoryThreadIndex();
  const storage = new InMemoryStorage();
  const signer = new ThreadSigner('unit-test-secret-0123456789');
  const tenants = new TenantDirectory([
    {
      id: 'acme',
      addresses: ['help@acme.test'],
      domains: [],
      fromAddress: 'support@acme.test',
      fromName: 'Acme Support',
    },
    { id: 'globex', addresses: ['support@globex.test'], domains: [] },
  ]);
  const clock = { now: () => NOW };
  const sut = new SendOutboundMailUseCase({
    transport,
    ledger,
    threadIndex,
    signer,
    tenants,
    storage,
    producer,
    clock,
    maxAttempts,
  });
  const bounces = new ReportBounceUseCase({ ledger, producer, clock });
  return { sut, bounces, producer, transport, ledger, threadIndex, storage, signer };
}

function reply(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    schemaVersion: 1,
    tenantId: 'acme',
    messageId: 'out-1',
    conversationId: 'conv-1',
    channel: 'email',
    threadKey: '<c1@customer.test>',
    recipient: { kind: 'email', value: 'ada@customer.test', verified: true },
    authorAgentId: 'agent-7',
    subject: 'Re: My order is late',
    text: 'It ships today.',
    attachments: [],
    inReplyTo: ['<c2@customer.test>'],
    createdAt: NOW.toISOString(),
    ...overrides,
  };
}

describe('SendOutboundMailUseCase', () => {
  it('addresses and threads the mail so the customer’s client and our inbound side thread it', async () => {
    const { sut, transport, threadIndex, signer, producer } = setup();
    await threadIndex.rememberMessage('acme', '<c1@customer.test>', '<c1@customer.test>');
    await threadIndex.rememberMessage('acme', '<c2@customer.test>', '<c1@customer.test>');

    const outcome = await sut.execute(reply());

    const ourId = signer.outboundMessageId('acme', 'out-1', 'acme.test');
    expect(outcome).toEqual({ kind: 'sent', ourMessageId: ourId });
    expect(transport.mails[0]).toMatchObject({
      envelopeFrom: 'support@acme.test',
      from: { name: 'Acme Support', address: 'support@acme.test' },
      to: 'ada@customer.test',
      replyTo: signer.replyToAddress('acme', 'support@acme.test', '<c1@customer.test>'),
      messageId: ourId,
      inReplyTo: '<c2@customer.test>',
      references: ['<c1@customer.test>', '<c2@customer.test>'],
      subject: `Re: My order is late ${signer.subjectMarker('acme', '<c1@customer.test>')}`,
      headers: { 'X-Switchboard-Tenant': 'acme', 'X-Switchboard-Message-Id': 'out-1' },
    });
    expect(await threadIndex.findByMessageIds('acme', [ourId])).toBe('<c1@customer.test>');
    const ref = signer.threadRef('acme', '<c1@customer.test>');
    expect(await threadIndex.findByThreadRef('acme', ref)).toBe('<c1@customer.test>');
    expect(await threadIndex.isParticipant('acme', '<c1@customer.test>', 'ADA@customer.test')).toBe(
      true,
    );
    expect(producer.statuses()).toEqual([
      expect.objectContaining({
        status: 'sent',
        externalMessageId: ourId,
        conversationId: 'conv-1',
      }),
    ]);
    expect(producer.sent[0]?.message.key).toBe('conv-1');
  });

  it('never mails a redelivered message twice, and repeats its sent status', async () => {
    const { sut, transport, producer } = setup();
    await sut.execute(reply());
    const again = await sut.execute(reply());
    expect(again.kind).toBe('already-sent');
    expect(transport.mails).toHaveLength(1);
    expect(producer.statuses().map((s) => s.status)).toEqual(['sent', 'sent']);
  });

  it('defers on 4xx and unreachable relays, then gives up as failed once the attempts are used', async () => {
    const { sut, transport, producer } = setup(3);
    transport.failures.push(
      new RelayDeliveryError('451 try later', false, 451),
      new RelayDeliveryError('ECONNREFUSED', false),
      new RelayDeliveryError('452 full', false, 452),
    );
    await expect(sut.execute(reply())).rejects.toBeInstanceOf(DeliveryDeferredError);
    await expect(sut.execute(reply())).rejects.toBeInstanceOf(DeliveryDeferredError);
    const outcome = await sut.execute(reply());
    expect(outcome).toMatchObject({ kind: 'failed' });
    expect(transport.mails).toHaveLength(0);
    expect(producer.statuses().map((s) => [s.status, s.errorCode])).toEqual([
      ['deferred', '451'],
      ['deferred', 'unreachable'],
      ['failed', '452'],
    ]);
  });

  it('fails a 5xx at once with the SMTP code and reason', async () => {
    const { sut, transport, producer } = setup();
    transport.failures.push(new RelayDeliveryError('550 5.1.1 no such user', true, 550));
    const outcome = await sut.execute(reply());
    expect(outcome).toEqual({
      kind: 'failed',
      reason: '550: relay refused the message: 550 5.1.1 no such user',
    });
    expect(producer.statuses()).toEqual([
      expect.objectContaining({ status: 'failed', errorCode: '550' }),
    ]);
  });

  it('refuses what can never be sent with a clear reason: unknown tenant, non-email recipient, missing attachment', async () => {
    const { sut, transport } = setup();
    await expect(sut.execute(reply({ tenantId: 'initech' }))).resolves.toMatchObject({
      kind: 'failed',
      reason: expect.stringContaining('tenant initech has no email setup') as string,
    });
    await expect(
      sut.execute(reply({ recipient: { kind: 'phone', value: '+4912345', verified: false } })),
    ).resolves.toMatchObject({ reason: expect.stringContaining('not an email address') as string });
    await expect(
      sut.execute(
        reply({
          attachments: [
            { filename: 'a.pdf', contentType: 'application/pdf', sizeBytes: 3, inline: false },
          ],
        }),
      ),
    ).resolves.toMatchObject({
      reason: expect.stringContaining('a.pdf has no stored content') as string,
    });
    expect(transport.mails).toHaveLength(0);
  });

  it('attaches stored content and keeps a subject that already carries the marker', async () => {
    const { sut, transport, storage, signer } = setup();
    await storage.put('attachments/acme/x', Buffer.from('PDF'));
    const marker = signer.subjectMarker('acme', '<c1@customer.test>');
    await sut.execute(
      reply({
        subject: `Re: late ${marker}`,
        attachments: [
          {
            filename: 'label.pdf',
            contentType: 'application/pdf',
            sizeBytes: 3,
            inline: false,
            storageKey: 'attachments/acme/x',
          },
        ],
      }),
    );
    expect(transport.mails[0]?.subject).toBe(`Re: late ${marker}`);
    expect(transport.mails[0]?.attachments[0]?.content.toString()).toBe('PDF');
  });

  it('reports a bounce of our Message-ID as bounced, only within the tenant that sent it', async () => {
    const { sut, bounces, producer } = setup();
    const sent = await sut.execute(reply());
    if (sent.kind !== 'sent') throw new Error('not sent');
    const bounce = {
      schemaVersion: 1 as const,
      tenantId: 'acme',
      messageId: 'email-b1',
      channel: 'email' as const,
      externalMessageId: '<bounce@mx.customer.test>',
      threadKey: '<c1@customer.test>',
      sender: { kind: 'email' as const, value: 'mailer-daemon@mx.customer.test', verified: false },
      text: '',
      attachments: [],
      authenticity: {},
      flags: { autoReply: true, bounce: true, bulk: false, ownMessageEcho: false },
      inReplyTo: [],
      receivedAt: NOW.toISOString(),
      metadata: {
        'email.bouncedMessageId': sent.ourMessageId,
        'email.undeliverableAddress': 'ada@customer.test',
        'email.bounceStatus': '5.1.1',
      },
    };
    await expect(bounces.execute({ ...bounce, tenantId: 'globex' })).resolves.toBeUndefined();
    await expect(bounces.execute(bounce)).resolves.toMatchObject({
      status: 'bounced',
      messageId: 'out-1',
      conversationId: 'conv-1',
      errorCode: '5.1.1',
    });
    expect(producer.statuses().map((s) => s.status)).toEqual(['sent', 'bounced']);
  });
});
