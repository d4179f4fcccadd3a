import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@switchboard/config';
import {
  decodeEnvelope,
  encodeEnvelope,
  type OutboundMessage,
  outboundMessageSchema,
} from '@switchboard/events';
import type { MessageProducer } from '@switchboard/kafka';
import { createTestContext, expectEventually, type TestContext } from '@switchboard/testing';
import { io, type Socket } from 'socket.io-client';
import { AppModule } from '../app.module';
import type { ChatGatewayWiring } from '../chat-gateway.wiring';
import { type ChatKafkaKit, startChatKafkaKit } from '../chat-kafka-kit.test-helper';
import { chatGatewayEnvSchema, type ChatGatewayConfig } from '../config/chat-gateway.config';
import { parseChatTenants } from '../config/chat-tenants.config';
import { OutboundMessageConsumer } from '../outbound/outbound-message.consumer';
import { emailFallbackMessageId } from './send-email-fallbacks.usecase';

/**
 * The email fallback with two gateway replicas on the real Kafka and Redis: both scan for due
 * replies; an unacknowledged reply becomes exactly one email OutboundMessage on the outbound
 * topic, an acknowledged one none.
 */

const ORIGIN = 'https://shop.example';
const FALLBACK_AFTER_MS = 2_500;

interface SessionInfo {
  sessionToken?: string;
  visitorId: string;
}

describe('chat email fallback on the real stack', () => {
  let context: TestContext;
  let kit: ChatKafkaKit | undefined;
  let producer: MessageProducer;
  let wiring: ChatGatewayWiring;
  let replicas: INestApplication[] = [];
  let urls: string[] = [];
  const sockets: Socket[] = [];
  /** Everything on the outbound topic, in order (one partition). */
  const outbound: OutboundMessage[] = [];

  beforeAll(async () => {
    context = createTestContext('chat email fallback');
    kit = await startChatKafkaKit(context, {
      clientId: 'chat-email-fallback-test',
      observe: {
        topics: ['outboundMessages'],
        onMessage: (message) => {
          outbound.push(decodeEnvelope('outbound', outboundMessageSchema, message.value));
        },
      },
    });
    ({ wiring, producer } = kit);

    const config: ChatGatewayConfig = {
      ...loadConfig(chatGatewayEnvSchema, {
        KAFKA_BROKERS: context.stack.kafkaBrokers,
        REDIS_URL: context.stack.redisUrl,
        REDIS_KEY_PREFIX: context.redisKeyPrefix,
        LOG_LEVEL: 'silent',
        KAFKA_TOPIC_PARTITIONS: '1',
        CHAT_EMAIL_FALLBACK_AFTER_MS: String(FALLBACK_AFTER_MS),
        CHAT_EMAIL_FALLBACK_SCAN_INTERVAL_MS: '100',
      }),
      tenants: parseChatTenants(`
tenants:
  - id: ${context.tenantId}
    name: Acme Shop
    allowedOrigins: ['${ORIGIN}']
`),
    };
    replicas = [];
    for (let index = 0; index < 2; index += 1) {
      const app = await NestFactory.create(AppModule.forRoot(config, wiring), { logger: false });
      await app.listen(0, '127.0.0.1');
      replicas.push(app);
    }
    urls = await Promise.all(
      replicas.map(async (app) => (await app.getUrl()).replace('[::1]', '127.0.0.1')),
    );
    await expectEventually(
      () => {
        const owners = replicas.filter(
          (app) => app.get(OutboundMessageConsumer).assignedPartitions().length > 0,
        );
        expect(owners).toHaveLength(1);
      },
      { timeoutMs: 30_000 },
    );
  }, 90_000);

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await Promise.all(replicas.map((app) => app.close()));
    await kit?.close();
  }, 30_000);

  /**
   * A visitor socket that acknowledges replies only when `acknowledge` is true. The pre-chat form
   * goes with the handshake, or with `submitted` after the socket connected (as the widget does).
   */
  async function visitor(
    url: string,
    prechat: Record<string, string> | undefined,
    acknowledge: boolean,
    submitted?: Record<string, string>,
  ): Promise<{ session: SessionInfo; received: string[] }> {
    const socket = io(url, {
      path: '/chat/socket',
      transports: ['websocket'],
      auth: { tenantId: context.tenantId, ...(prechat ? { prechat } : {}) },
      extraHeaders: { origin: ORIGIN },
      reconnection: false,
      forceNew: true,
    });
    sockets.push(socket);
    const received: string[] = [];
    socket.on('agent:message', (message: { id: string }) => {
      received.push(message.id);
      if (acknowledge) socket.emit('message:ack', { messageIds: [message.id] });
    });
    const session = await new Promise<SessionInfo>((resolve, reject) => {
      socket.once('session', resolve);
      socket.once('connect_error', reject);
    });
    if (submitted) {
      expect(await socket.timeout(10_000).emitWithAck('prechat:submit', submitted)).toEqual({
        ok: true,
        prechat: submitted,
      });
    }
    return { session, received };
  }

  let sequence = 0;
  function reply(session: SessionInfo, text: string): OutboundMessage {
    sequence += 1;
    const threadKey = `visitor:${session.visitorId}`;
    return {
      schemaVersion: 1,
      tenantId: context.tenantId,
      messageId: `reply-${sequence}-${Date.now()}`,
      conversationId: `conv-${threadKey}`,
      channel: 'chat',
      threadKey,
      recipient: { kind: 'chat_visitor', value: session.visitorId, verified: false },
      authorAgentId: 'agent-7',
      text,
      attachments: [],
      inReplyTo: [],
      createdAt: new Date().toISOString(),
    };
  }

  async function produce(...messages: OutboundMessage[]): Promise<void> {
    await producer.send(
      wiring.topics.outboundMessages,
      messages.map((message) => ({ key: message.conversationId, value: encodeEnvelope(message) })),
    );
  }

  /** `switchboard_chat_email_fallbacks_total{outcome}` summed over both replicas. */
  async function outcomes(): Promise<Record<string, number>> {
    const totals: Record<string, number> = {};
    for (const url of urls) {
      const body = await (await fetch(`${url}/metrics`)).text();
      for (const line of body.split('\n')) {
        const match =
          /^switchboard_chat_email_fallbacks_total\{[^}]*outcome="(\w+)"[^}]*\} (\d+)$/.exec(line);
        if (match) totals[match[1]!] = (totals[match[1]!] ?? 0) + Number(match[2]);
      }
    }
    return totals;
  }

  /** Everything produced to the outbound topic before now has been observed (one partition). */
  async function drainOutbound(): Promise<void> {
    const sentinel = reply({ visitorId: 'sentinel' }, 'sentinel');
    await produce(sentinel);
    await expectEventually(() =>
      expect(outbound.some((message) => message.messageId === sentinel.messageId)).toBe(true),
    );
  }

  const emails = () => outbound.filter((message) => message.channel === 'email');

  it('emails an unacknowledged reply exactly once, and never an acknowledged one or one without an address', async () => {
    const away = await visitor(urls[0]!, undefined, false, {
      name: 'Ada',
      email: 'ada@example.com',
    });
    const present = await visitor(urls[1]!, { email: 'bob@example.com' }, true);
    const anonymous = await visitor(urls[1]!, undefined, false);
    const unacked = reply(away.session, 'are you still there?');
    const acked = reply(present.session, 'here is your answer');
    const noAddress = reply(anonymous.session, 'no address to mail');
    await produce(unacked, acked, noAddress);
    await expectEventually(() => {
      expect(away.received).toEqual([unacked.messageId]);
      expect(present.received).toEqual([acked.messageId]);
      expect(anonymous.received).toEqual([noAddress.messageId]);
    });

    // Both due entries (the address-less reply was never scheduled) are handled by one replica
    // or the other, and the email is on Kafka before its outcome is counted.
    await expectEventually(
      async () => expect(await outcomes()).toEqual({ sent: 1, acknowledged: 1 }),
      { timeoutMs: 20_000 },
    );
    await drainOutbound();
    expect(emails()).toEqual([
      {
        schemaVersion: 1,
        tenantId: context.tenantId,
        messageId: emailFallbackMessageId(context.tenantId, unacked.messageId),
        conversationId: unacked.conversationId,
        channel: 'email',
        threadKey: unacked.threadKey,
        recipient: { kind: 'email', value: 'ada@example.com', displayName: 'Ada', verified: false },
        authorAgentId: 'agent-7',
        subject: 'Your conversation with Acme Shop',
        text: 'are you still there?',
        attachments: [],
        inReplyTo: [],
        createdAt: expect.any(String) as string,
      },
    ]);

    // A Kafka redelivery of the same reply comes due again and is recognised as sent.
    await produce(unacked);
    await expectEventually(
      async () => expect(await outcomes()).toEqual({ sent: 1, acknowledged: 1, already_sent: 1 }),
      { timeoutMs: 20_000 },
    );
    await drainOutbound();
    expect(emails()).toHaveLength(1);
    // The reply itself stays in the chat mailbox for when the visitor comes back.
    expect(away.received).toEqual([unacked.messageId]);
  }, 60_000);
});
