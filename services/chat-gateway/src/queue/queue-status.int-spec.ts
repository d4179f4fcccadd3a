import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@switchboard/config';
import { routerAdminV1 } from '@switchboard/contracts';
import { decodeEnvelope, type InboundMessage, inboundMessageSchema } from '@switchboard/events';
import type { MessageProducer } from '@switchboard/kafka';
import {
  createTestContext,
  expectEventually,
  freePort,
  type TestContext,
} from '@switchboard/testing';
import { io, type Socket } from 'socket.io-client';
import { AppModule } from '../app.module';
import type { ChatGatewayWiring } from '../chat-gateway.wiring';
import { type ChatKafkaKit, startChatKafkaKit } from '../chat-kafka-kit.test-helper';
import { chatGatewayEnvSchema, type ChatGatewayConfig } from '../config/chat-gateway.config';
import { parseChatTenants } from '../config/chat-tenants.config';
import { ConversationEventsConsumer } from '../history/conversation-events.consumer';
import {
  produceConversationCreated,
  type RouterStandIn,
  startRouterStandIn,
  waitEstimate,
} from './router.stand-in.test-helper';

/**
 * Queue position, expected wait and offline mode from the router's GetWaitEstimate, served by a
 * stand-in gRPC server that checks tokens as the router does; Kafka and Redis are the real local
 * stack, and the conversation id is learned from conversation events on Kafka.
 */
const ORIGIN = 'https://shop.example';
const JWT_SECRET = 'chat-queue-test-secret-of-at-least-32-bytes!';
const POLL_MS = 150;

interface Received {
  event: string;
  payload: unknown;
}

describe('queue status from the router', () => {
  let context: TestContext;
  let kit: ChatKafkaKit | undefined;
  let producer: MessageProducer;
  let wiring: ChatGatewayWiring;
  let router: RouterStandIn;
  const apps: INestApplication[] = [];
  const sockets: Socket[] = [];
  const inbound: InboundMessage[] = [];
  let withRouter: string;
  let routerDown: string;

  beforeAll(async () => {
    context = createTestContext('chat queue');
    kit = await startChatKafkaKit(context, {
      clientId: 'chat-queue-test',
      observe: {
        topics: ['inboundMessages'],
        onMessage: (message) => {
          inbound.push(decodeEnvelope('inbound', inboundMessageSchema, message.value));
        },
      },
    });
    ({ wiring, producer } = kit);
    router = await startRouterStandIn(context.tenantId, JWT_SECRET);
    const configFor = (routerUrl: string): ChatGatewayConfig => ({
      ...loadConfig(chatGatewayEnvSchema, {
        KAFKA_BROKERS: context.stack.kafkaBrokers,
        REDIS_URL: context.stack.redisUrl,
        REDIS_KEY_PREFIX: context.redisKeyPrefix,
        LOG_LEVEL: 'silent',
        KAFKA_TOPIC_PARTITIONS: '1',
        ROUTER_GRPC_URL: routerUrl,
        AUTH_JWT_SECRET: JWT_SECRET,
        CHAT_QUEUE_POLL_INTERVAL_MS: String(POLL_MS),
        ROUTER_GRPC_TIMEOUT_MS: '500',
      }),
      tenants: parseChatTenants(`
tenants:
  - id: ${context.tenantId}
    allowedOrigins: ['${ORIGIN}']
`),
    });
    // Two replicas of one deployment on one Redis: one of them learns the thread's conversation
    // from Kafka, both read it. The second one's router does not answer.
    const urls: string[] = [];
    for (const config of [configFor(router.address), configFor(`127.0.0.1:${await freePort()}`)]) {
      const app = await NestFactory.create(AppModule.forRoot(config, wiring), { logger: false });
      await app.listen(0, '127.0.0.1');
      apps.push(app);
      urls.push((await app.getUrl()).replace('[::1]', '127.0.0.1'));
    }
    [withRouter, routerDown] = urls as [string, string];
    await expectEventually(
      () => {
        const owners = apps.filter(
          (app) => app.get(ConversationEventsConsumer).assignedPartitions().length > 0,
        );
        expect(owners).toHaveLength(1);
      },
      { timeoutMs: 30_000 },
    );
  }, 90_000);

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await Promise.all(apps.map((app) => app.close()));
    await router?.stop();
    await kit?.close();
  }, 30_000);

  async function connect(url: string, auth: Record<string, unknown> = {}) {
    const socket = io(url, {
      path: '/chat/socket',
      transports: ['websocket'],
      auth: { tenantId: context.tenantId, ...auth },
      extraHeaders: { origin: ORIGIN },
      reconnection: false,
      forceNew: true,
    });
    sockets.push(socket);
    const received: Received[] = [];
    socket.onAny((event: string, payload: unknown) => received.push({ event, payload }));
    const session = await new Promise<{ visitorId: string; sessionToken: string }>(
      (resolve, reject) => {
        socket.once('session', resolve);
        socket.once('connect_error', reject);
      },
    );
    const send = async (clientMessageId: string, text: string) =>
      (await socket.timeout(10_000).emitWithAck('message:send', { clientMessageId, text })) as {
        ok: boolean;
      };
    const statuses = () =>
      received.filter((entry) => entry.event === 'queue:status').map((entry) => entry.payload);
    return { socket, session, send, statuses, threadKey: `visitor:${session.visitorId}` };
  }

  const sentText = async (text: string): Promise<InboundMessage> =>
    expectEventually(() => {
      const found = inbound.find((message) => message.text === text);
      expect(found).toBeDefined();
      return found!;
    });

  it('shows the place in line while waiting, switches to offline mode, and stops once assigned', async () => {
    const visitor = await connect(withRouter);
    expect(await visitor.send('q-1', 'is anyone there?')).toMatchObject({ ok: true });
    expect((await sentText('is anyone there?')).metadata['offline']).toBeUndefined();
    const conversationId = `cv_${visitor.session.visitorId}`;
    await produceConversationCreated(
      producer,
      wiring.topics.conversationEvents,
      context.tenantId,
      visitor.threadKey,
      conversationId,
    );
    // Learned from Kafka; the router does not know it yet (NOT_FOUND): no estimate is shown.
    const callsFor = () => router.calls.filter((call) => call.conversationId === conversationId);
    await expectEventually(() => expect(callsFor().length).toBeGreaterThanOrEqual(2));
    expect(visitor.statuses()).toEqual([]);

    router.estimates.set(
      conversationId,
      waitEstimate({ position: '3', expectedWaitSeconds: 118.6, agentsAvailable: '0' }),
    );
    await expectEventually(() =>
      expect(visitor.statuses()).toEqual([
        { state: 'waiting', position: 3, expectedWaitSeconds: 119, agentsOnline: true },
      ]),
    );

    // Nobody online: the widget goes offline, and messages are still taken, flagged.
    router.estimates.set(conversationId, waitEstimate({ position: '3', agentsOnline: false }));
    await expectEventually(() =>
      expect(visitor.statuses().at(-1)).toEqual({
        state: 'waiting',
        position: 3,
        expectedWaitSeconds: 0,
        agentsOnline: false,
      }),
    );
    expect(await visitor.send('q-2', 'call me back please')).toMatchObject({ ok: true });
    expect((await sentText('call me back please')).metadata).toMatchObject({ offline: 'true' });

    router.estimates.set(
      conversationId,
      waitEstimate({ state: routerAdminV1.WaitState.ASSIGNED, position: '0' }),
    );
    await expectEventually(() =>
      expect(visitor.statuses().at(-1)).toEqual({
        state: 'assigned',
        position: 0,
        expectedWaitSeconds: 0,
        agentsOnline: true,
      }),
    );
    // Polling stopped with the assignment: several intervals later, no further call.
    const callsWhenAssigned = callsFor().length;
    await new Promise((resolve) => setTimeout(resolve, 6 * POLL_MS));
    expect(callsFor()).toHaveLength(callsWhenAssigned);
    // Only changes were emitted, and every call was the gateway for the visitor's tenant.
    expect(visitor.statuses()).toHaveLength(3);
    for (const call of router.calls) {
      expect(call).toEqual({
        tenant: context.tenantId,
        subject: 'chat-gateway',
        roles: ['system'],
        conversationId: expect.any(String) as string,
      });
    }
  }, 30_000);

  it('keeps chatting without estimates while the router is unreachable', async () => {
    const visitor = await connect(routerDown);
    expect(await visitor.send('d-1', 'first while the router is down')).toMatchObject({
      ok: true,
    });
    const conversationId = `cv_${visitor.session.visitorId}`;
    // The router stand-in would answer for it, but this deployment cannot reach a router.
    router.estimates.set(conversationId, waitEstimate({ position: '1' }));
    await produceConversationCreated(
      producer,
      wiring.topics.conversationEvents,
      context.tenantId,
      visitor.threadKey,
      conversationId,
    );
    // The conversation is known (a replica that reaches the router shows the estimate) …
    const control = await connect(withRouter, { sessionToken: visitor.session.sessionToken });
    await expectEventually(() =>
      expect(control.statuses()).toEqual([
        { state: 'waiting', position: 1, expectedWaitSeconds: 0, agentsOnline: true },
      ]),
    );
    control.socket.disconnect();
    // … so a returning visitor is polled at once on this deployment too, and every poll fails.
    const again = await connect(routerDown, { sessionToken: visitor.session.sessionToken });
    await new Promise((resolve) => setTimeout(resolve, 6 * POLL_MS));
    expect(await again.send('d-2', 'second while the router is down')).toMatchObject({
      ok: true,
    });
    await sentText('second while the router is down');
    expect(visitor.statuses()).toEqual([]);
    expect(again.statuses()).toEqual([]);
    expect(again.socket.connected).toBe(true);
  }, 30_000);
});
