import { inboundMessageIdOf } from '@switchboard/events';
import { KafkaUnavailableError } from '@switchboard/kafka';
import type { Logger } from 'pino';
import { loadChatGatewayConfig } from './config/chat-gateway.config';
import { parseChatTenants } from './config/chat-tenants.config';
import type { AcceptedMessageStore } from './inbound/accepted-message.store';
import { SendVisitorMessageUseCase } from './inbound/send-visitor-message.usecase';
import type { ChatEventPublisher } from './kafka/chat-event.publisher';
import { isUserHashValid, signUserId } from './sessions/identity-verification.util';
import type { VisitorSession } from './sessions/visitor-session.store';
import { ChatError } from './shared/chat-error';
import { parseHandshake, parsePrechat, parseSendMessage } from './transport/visitor-payload.parser';

const SECRET = 'identity-secret-0123456789';

describe('identity verification', () => {
  it('accepts the website’s HMAC of the user id and nothing else', () => {
    const hash = signUserId(SECRET, 'user-1');
    expect(isUserHashValid(SECRET, 'user-1', hash)).toBe(true);
    expect(isUserHashValid(SECRET, 'user-1', hash.toUpperCase())).toBe(true);
    expect(isUserHashValid(SECRET, 'user-2', hash)).toBe(false);
    expect(isUserHashValid('another-secret-0123456789', 'user-1', hash)).toBe(false);
    expect(isUserHashValid(SECRET, 'user-1', hash.slice(0, 62))).toBe(false);
    expect(isUserHashValid(SECRET, 'user-1', 'zz'.repeat(32))).toBe(false);
  });
});

describe('visitor payloads', () => {
  const refusal = (run: () => unknown): { code: string; message: string } => {
    try {
      run();
    } catch (error) {
      if (error instanceof ChatError) return { code: error.code, message: error.message };
    }
    throw new Error('accepted');
  };

  it('accepts a well-formed message and counts the limit in UTF-8 bytes', () => {
    expect(parseSendMessage({ clientMessageId: 'c-1', text: 'héllo' }, 6)).toEqual({
      clientMessageId: 'c-1',
      text: 'héllo',
    });
    expect(refusal(() => parseSendMessage({ clientMessageId: 'c-1', text: 'héllo!' }, 6))).toEqual({
      code: 'message_too_large',
      message: 'text is 7 bytes; the limit is 6',
    });
  });

  it('refuses binary, lone surrogates, empty text and malformed envelopes', () => {
    expect(
      refusal(() => parseSendMessage({ clientMessageId: 'a', text: Buffer.from([0xff]) }, 99)).code,
    ).toBe('invalid_text');
    expect(
      refusal(() => parseSendMessage({ clientMessageId: 'a', text: '\udc00x' }, 99)).code,
    ).toBe('invalid_text');
    expect(parseSendMessage({ clientMessageId: 'a', text: '😀' }, 99).text).toBe('😀');
    expect(refusal(() => parseSendMessage({ clientMessageId: 'a', text: '   ' }, 99)).code).toBe(
      'invalid_text',
    );
    expect(refusal(() => parseSendMessage([1, 2], 99)).code).toBe('invalid_payload');
    expect(refusal(() => parseHandshake(undefined)).code).toBe('invalid_payload');
    expect(
      refusal(() => parseHandshake({ tenantId: 't', prechat: { email: 'nope' } })).message,
    ).toBe('invalid pre-chat form: email: must be a valid email address');
  });

  it('refuses pre-chat fields that are oversize, carry markup or are not strings, naming them', () => {
    expect(parsePrechat({ name: ' Ada ', email: 'ada@example.com', topic: 'billing' })).toEqual({
      name: 'Ada',
      email: 'ada@example.com',
      topic: 'billing',
    });
    expect(refusal(() => parsePrechat({ name: 'x'.repeat(101) }))).toEqual({
      code: 'invalid_prechat',
      message: 'invalid pre-chat form: name: must be at most 100 characters',
    });
    expect(refusal(() => parsePrechat({ name: '<b>Ada</b>' })).message).toBe(
      'invalid pre-chat form: name: must not contain "<", ">" or control characters',
    );
    expect(refusal(() => parsePrechat({ email: `${'a'.repeat(250)}@x.io` })).message).toBe(
      'invalid pre-chat form: email: must be at most 254 characters',
    );
    expect(refusal(() => parsePrechat({ topic: 7 })).message).toBe(
      'invalid pre-chat form: topic: must be a string',
    );
    expect(refusal(() => parsePrechat({ name: 'Ada', admin: true })).code).toBe('invalid_prechat');
    expect(refusal(() => parsePrechat('Ada')).code).toBe('invalid_prechat');
  });
});

describe('configuration', () => {
  const env = { KAFKA_BROKERS: '127.0.0.1:9092', REDIS_URL: 'redis://127.0.0.1:6379' };

  it('keeps history and the email fallback off by default, and needs the JWT secret with the URL', () => {
    const config = loadChatGatewayConfig(env);
    expect(config.CONVERSATION_GRPC_URL).toBeUndefined();
    expect(config.CHAT_EMAIL_FALLBACK_AFTER_MS).toBeUndefined();
    expect(() =>
      loadChatGatewayConfig({ ...env, CONVERSATION_GRPC_URL: '127.0.0.1:50051' }),
    ).toThrow('AUTH_JWT_SECRET is required when CONVERSATION_GRPC_URL is set');
    expect(() =>
      loadChatGatewayConfig({ ...env, CONVERSATION_GRPC_URL: 'http://conversation/' }),
    ).toThrow('CONVERSATION_GRPC_URL must be host:port');
    expect(() => loadChatGatewayConfig({ ...env, CHAT_EMAIL_FALLBACK_AFTER_MS: '0' })).toThrow(
      'CHAT_EMAIL_FALLBACK_AFTER_MS must be greater than zero',
    );
  });
});

describe('tenants file', () => {
  it('names the offending path', () => {
    expect(() =>
      parseChatTenants('tenants: [{ id: a, allowedOrigins: ["https://x.example/path"] }]'),
    ).toThrow(
      'CHAT_TENANTS_FILE is invalid: tenants.0.allowedOrigins.0 must be scheme://host[:port] without a path',
    );
    expect(() =>
      parseChatTenants(
        'tenants: [{ id: a, allowedOrigins: ["https://x.example"], identitySecret: short }]',
      ),
    ).toThrow('tenants.0.identitySecret must be at least 16 characters');
  });
});

describe('SendVisitorMessageUseCase', () => {
  const session: VisitorSession = {
    tenantId: 't1',
    visitorId: 'v_1',
    threadKey: 'visitor:v_1',
    verified: false,
    topic: 'billing',
  };
  const tenant = parseChatTenants(
    'tenants: [{ id: t1, allowedOrigins: ["https://x.example"], offline: true }]',
  ).tenants[0]!;
  const logger = { warn: jest.fn() } as unknown as Logger;

  function setup(publish: ChatEventPublisher['publishInbound']) {
    const accepted = new Set<string>();
    const store: AcceptedMessageStore = {
      isAccepted: async (_t, _k, id) => accepted.has(id),
      markAccepted: async (_t, _k, id) => {
        accepted.add(id);
      },
    };
    const publisher: ChatEventPublisher = {
      publishInbound: jest.fn(publish),
      publishStatus: jest.fn(),
      publishOutbound: jest.fn(),
      publishActivity: jest.fn(),
    };
    const sut = new SendVisitorMessageUseCase(
      publisher,
      store,
      { allow: async () => true },
      { sessionMessagesPerMinute: 10, ipEventsPerMinute: 10 },
      { now: () => new Date('2025-01-01T00:00:00Z') },
      logger,
    );
    return { sut, publisher, accepted };
  }
  const command = { session, tenant, clientIp: '10.0.0.1', clientMessageId: 'c-1', text: 'hi' };

  it('publishes once, flags offline and topic for routing, and answers retries as duplicates', async () => {
    const { sut, publisher } = setup(async () => undefined);
    const first = await sut.execute(command);
    const retry = await sut.execute(command);
    expect(retry).toEqual({
      messageId: first.messageId,
      conversationMessageId: first.conversationMessageId,
      duplicate: true,
    });
    // What the conversation service will store it as: an agent's "read up to" names this id.
    expect(first.conversationMessageId).toBe(
      inboundMessageIdOf(session.tenantId, 'chat', 'v_1:c-1'),
    );
    expect(publisher.publishInbound).toHaveBeenCalledTimes(1);
    expect(jest.mocked(publisher.publishInbound).mock.calls[0]?.[0]).toMatchObject({
      externalMessageId: 'v_1:c-1',
      metadata: { preChatTopic: 'billing', offline: 'true' },
      receivedAt: '2025-01-01T00:00:00.000Z',
    });
  });

  it('turns an unavailable Kafka into a retryable refusal and remembers nothing', async () => {
    const { sut, accepted } = setup(async () => {
      throw new KafkaUnavailableError('down');
    });
    await expect(sut.execute(command)).rejects.toMatchObject({
      code: 'temporarily_unavailable',
      retryable: true,
    });
    expect(accepted.size).toBe(0);
  });
});
