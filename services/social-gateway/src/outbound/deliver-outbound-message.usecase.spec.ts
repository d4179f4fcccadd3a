import type { DeliveryStatus, OutboundMessage } from '@switchboard/events';
import pino from 'pino';
import { Registry } from 'prom-client';
import { AccountDirectory } from '../accounts/account-directory';
import { parseSocialAccounts } from '../config/social-accounts.config';
import type { SocialEventPublisher } from '../kafka/social-event.publisher';
import type { Clock } from '../shared/clock';
import { SocialMetrics } from '../shared/social-metrics';
import type { OutboundLedger, OutboundRecord } from '../state/outbound-ledger.store';
import type { SentMessageIndex } from '../state/sent-message.index';
import type { CustomerRef, ServiceWindowStore } from '../state/service-window.store';
import { DeliverOutboundMessageUseCase } from './deliver-outbound-message.usecase';
import { PlatformProviderFactory } from './providers/platform-provider.factory';
import type {
  PlatformSendRequest,
  PlatformSendResult,
  SocialPlatformProvider,
} from './providers/platform-provider.interface';

const accounts = new AccountDirectory(
  parseSocialAccounts(`
metaApps: [{ id: app, appSecret: app-secret-1, verifyToken: verify-token-1 }]
xApps: [{ id: x-app, consumerSecret: x-secret-1 }]
accounts:
  - { channel: whatsapp, tenantId: acme, appId: app, phoneNumberId: pn, accessToken: token-123 }
  - { channel: x, tenantId: acme, appId: x-app, userId: xu, accessToken: token-456 }
`),
);

function setup(replies: PlatformSendResult[], lastCustomerMessageAt?: Date) {
  const now = new Date('2026-03-01T12:00:00.000Z');
  const slept: number[] = [];
  const clock: Clock = { now: () => now, sleep: async (ms) => void slept.push(ms) };
  const ledger = new Map<string, OutboundRecord>();
  const ledgerStore: OutboundLedger = {
    claim: async (tenantId, messageId, at) => {
      const existing = ledger.get(`${tenantId}:${messageId}`);
      if (existing) return existing;
      ledger.set(`${tenantId}:${messageId}`, { state: 'in-flight', since: at.toISOString() });
      return undefined;
    },
    settle: async (tenantId, messageId, record) =>
      void ledger.set(`${tenantId}:${messageId}`, record),
  };
  const window: ServiceWindowStore = {
    recordCustomerMessage: async () => undefined,
    lastCustomerMessageAt: async (_customer: CustomerRef) => lastCustomerMessageAt,
  };
  const sentIndex: SentMessageIndex = {
    remember: async () => undefined,
    lookup: async () => undefined,
    unreadUpTo: async () => [],
    forgetUnreadUpTo: async () => undefined,
  };
  const published: DeliveryStatus[] = [];
  const publisher: SocialEventPublisher = {
    publishInbound: async () => undefined,
    publishStatuses: async (statuses) => void published.push(...statuses),
  };
  let calls = 0;
  const sentParts: PlatformSendRequest[] = [];
  const remembered: string[] = [];
  sentIndex.remember = async (_tenant, _channel, _thread, _at, ref) =>
    void remembered.push(`${ref.messageId}=${ref.externalMessageId}`);
  const provider: SocialPlatformProvider = {
    channels: ['whatsapp', 'x'],
    send: async (request) => {
      calls += 1;
      sentParts.push(request);
      return replies.shift() ?? { kind: 'sent', externalMessageId: `wamid.${calls}` };
    },
  };
  const useCase = new DeliverOutboundMessageUseCase(
    accounts,
    new PlatformProviderFactory([provider]),
    ledgerStore,
    window,
    sentIndex,
    publisher,
    { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1_000 },
    new SocialMetrics(new Registry()),
    clock,
    pino({ level: 'silent' }),
  );
  return { useCase, published, slept, ledger, calls: () => calls, now, sentParts, remembered };
}

const reply = (overrides: Partial<OutboundMessage> = {}): OutboundMessage => ({
  schemaVersion: 1,
  tenantId: 'acme',
  messageId: 'out-1',
  conversationId: 'conv-1',
  channel: 'whatsapp',
  threadKey: 'pn:4917',
  recipient: { kind: 'phone', value: '4917', verified: true },
  authorAgentId: 'agent',
  text: 'hello',
  attachments: [],
  inReplyTo: [],
  createdAt: '2026-03-01T11:59:00.000Z',
  ...overrides,
});

const recently = new Date('2026-03-01T10:00:00.000Z');

describe('delivering an outbound message', () => {
  it('backs off exponentially, honours Retry-After up to the cap, then reports the last code', async () => {
    const { useCase, published, slept } = setup(
      [
        { kind: 'retryable', errorCode: '4', errorMessage: 'rate limited' },
        { kind: 'retryable', errorCode: '4', errorMessage: 'rate limited', retryAfterMs: 60_000 },
        { kind: 'retryable', errorCode: '2', errorMessage: 'server error' },
      ],
      recently,
    );
    await useCase.execute(reply());
    expect(slept).toEqual([100, 1_000]);
    expect(published).toMatchObject([
      { status: 'failed', errorCode: '2', errorMessage: 'server error' },
    ]);
  });

  it('treats the window as closed after 24 hours and when the customer never wrote', async () => {
    const stale = setup([], new Date('2026-02-28T11:59:59.000Z'));
    await stale.useCase.execute(reply());
    expect(stale.published).toMatchObject([
      { status: 'failed', errorCode: 'outside_customer_service_window' },
    ]);
    expect(stale.calls()).toBe(0);
    const never = setup([]);
    await never.useCase.execute(reply());
    expect(never.published[0]?.errorCode).toBe('outside_customer_service_window');
    const justInside = setup([], new Date('2026-02-28T12:00:00.000Z'));
    await justInside.useCase.execute(reply());
    expect(justInside.published[0]?.status).toBe('sent');
  });

  it('never sends a redelivered message again, and reports an interrupted send as unknown', async () => {
    const { useCase, published, ledger, calls } = setup([], recently);
    await useCase.execute(reply());
    await useCase.execute(reply());
    expect(calls()).toBe(1);
    expect(published.map((status) => status.status)).toEqual(['sent', 'sent']);

    ledger.set('acme:out-2', { state: 'in-flight', since: '2026-03-01T11:00:00.000Z' });
    await useCase.execute(reply({ messageId: 'out-2' }));
    expect(calls()).toBe(1);
    expect(published.at(-1)).toMatchObject({
      messageId: 'out-2',
      status: 'failed',
      errorCode: 'delivery_outcome_unknown',
    });
  });

  it('ignores channels that are not social', async () => {
    const { useCase, published, calls } = setup([], recently);
    await useCase.execute(reply({ channel: 'email' }));
    expect(published).toEqual([]);
    expect(calls()).toBe(0);
  });

  const photo = {
    filename: 'photo.jpg',
    contentType: 'image/jpeg',
    sizeBytes: 2048,
    inline: false,
    platformMediaUrl: 'https://files.example/photo.jpg',
  };
  const zip = { ...photo, filename: 'logs.zip', contentType: 'application/zip' };

  it('sends every part, maps each platform id to the message, and replies to the customer once', async () => {
    const { useCase, published, sentParts, remembered } = setup([], recently);
    await useCase.execute(
      reply({ text: 'x'.repeat(2000), attachments: [photo, zip], inReplyTo: ['wamid.IN'] }),
    );
    expect(sentParts.map((request) => [request.part.kind, request.replyToExternalId])).toEqual([
      ['text', 'wamid.IN'],
      ['media', undefined],
      ['media', undefined],
    ]);
    expect(remembered).toEqual(['out-1=wamid.1', 'out-1=wamid.2', 'out-1=wamid.3']);
    expect(published).toMatchObject([{ status: 'sent', externalMessageId: 'wamid.1' }]);
  });

  it('says which part the platform refused and how many went before it', async () => {
    const { useCase, published, calls } = setup(
      [
        { kind: 'sent', externalMessageId: 'wamid.text' },
        { kind: 'rejected', errorCode: '131053', errorMessage: 'Media upload error' },
      ],
      recently,
    );
    await useCase.execute(reply({ text: 'x'.repeat(2000), attachments: [photo, zip] }));
    expect(calls()).toBe(2);
    expect(published).toMatchObject([
      {
        status: 'failed',
        errorCode: '131053',
        errorMessage: 'Media upload error (part 2 of 3: image photo.jpg; 1 sent before it)',
      },
    ]);
  });

  it('refuses attachments X cannot take before sending anything', async () => {
    const { useCase, published, calls } = setup([], recently);
    await useCase.execute(reply({ channel: 'x', threadKey: 'xu:cust', attachments: [photo] }));
    expect(calls()).toBe(0);
    expect(published).toMatchObject([{ status: 'failed', errorCode: 'attachments_not_supported' }]);
  });
});
