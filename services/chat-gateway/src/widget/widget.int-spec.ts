import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@switchboard/config';
import {
  decodeEnvelope,
  encodeEnvelope,
  type InboundMessage,
  inboundMessageSchema,
  type OutboundMessage,
  topicSpecsFor,
} from '@switchboard/events';
import {
  createKafkaClient,
  type KafkaClient,
  type MessageConsumer,
  type MessageProducer,
} from '@switchboard/kafka';
import {
  createTestContext,
  expectEventually,
  freePort,
  type LaunchedChromium,
  launchChromium,
  type TestContext,
} from '@switchboard/testing';
import { AppModule } from '../app.module';
import type { ChatGatewayWiring } from '../chat-gateway.wiring';
import { chatGatewayEnvSchema } from '../config/chat-gateway.config';
import { parseChatTenants } from '../config/chat-tenants.config';
import { OutboundMessageConsumer } from '../outbound/outbound-message.consumer';
import { systemClock } from '../shared/clock';

/**
 * The widget in Debian's Chromium against the gateway on the real Kafka and Redis: the demo page
 * sends a visitor message to Kafka, and an agent reply produced to the outbound topic appears in
 * the page, markup shown as text.
 */
describe('chat widget in a browser', () => {
  let context: TestContext;
  let kafka: KafkaClient;
  let producer: MessageProducer;
  let observer: MessageConsumer;
  let wiring: ChatGatewayWiring;
  let app: INestApplication;
  let chromium: LaunchedChromium;
  let baseUrl: string;
  const inbound: InboundMessage[] = [];

  beforeAll(async () => {
    context = createTestContext('chat widget');
    wiring = {
      topics: {
        inboundMessages: context.topic('inbound'),
        outboundMessages: context.topic('outbound'),
        deliveryStatus: context.topic('status'),
      },
      consumerGroupId: `${context.topicPrefix}chat-gateway`,
      consumerTuning: {
        fromBeginning: true,
        sessionTimeoutMs: 6_000,
        heartbeatIntervalMs: 500,
        maxWaitTimeMs: 200,
      },
      clock: systemClock,
    };
    kafka = createKafkaClient({
      brokers: context.stack.kafkaBrokers.split(','),
      clientId: 'chat-widget-test',
    });
    await kafka
      .admin()
      .ensureTopics(
        topicSpecsFor(Object.values(wiring.topics), { partitions: 1, replicationFactor: 1 }),
      );
    producer = kafka.createProducer();
    observer = kafka.createConsumer({
      groupId: `${context.topicPrefix}observer`,
      topics: [wiring.topics.inboundMessages],
      fromBeginning: true,
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 500,
      maxWaitTimeMs: 200,
      handler: async (message) => {
        inbound.push(decodeEnvelope('inbound', inboundMessageSchema, message.value));
      },
    });
    await observer.start();

    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const config = {
      ...loadConfig(chatGatewayEnvSchema, {
        KAFKA_BROKERS: context.stack.kafkaBrokers,
        REDIS_URL: context.stack.redisUrl,
        REDIS_KEY_PREFIX: context.redisKeyPrefix,
        LOG_LEVEL: 'silent',
        KAFKA_TOPIC_PARTITIONS: '1',
      }),
      tenants: parseChatTenants(
        `tenants: [{ id: ${context.tenantId}, allowedOrigins: ['${baseUrl}'] }]`,
      ),
    };
    app = await NestFactory.create(AppModule.forRoot(config, wiring), { logger: false });
    await app.listen(port, '127.0.0.1');
    await expectEventually(
      () => expect(app.get(OutboundMessageConsumer).assignedPartitions()).toEqual([0]),
      { timeoutMs: 30_000 },
    );
    chromium = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await chromium?.close();
    await app?.close();
    await observer?.stop();
    await producer?.disconnect();
    await kafka
      ?.admin()
      .deleteTopics(
        topicSpecsFor(Object.values(wiring.topics), { partitions: 1, replicationFactor: 1 }).map(
          (topic) => topic.name,
        ),
      );
    await kafka?.close();
  }, 30_000);

  it('sends a visitor message to Kafka and shows an agent reply, markup as text', async () => {
    const page = await chromium.browser.newPage();
    const pageErrors: string[] = [];
    const dialogs: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(`${baseUrl}/demo?tenant=${context.tenantId}`);
    await page.locator('#switchboard-chat [data-role="status"]').getByText('Connected').waitFor();

    const typed = 'Hello <b>there</b>';
    await page.locator('#switchboard-chat [data-role="input"]').fill(typed);
    await page.locator('#switchboard-chat button').click();
    const sent = await expectEventually(() => {
      const message = inbound.find((entry) => entry.text === typed);
      expect(message).toBeDefined();
      return message!;
    });
    expect(sent).toMatchObject({ tenantId: context.tenantId, channel: 'chat' });

    const hostile = '<script>alert("x")</script><img src=x onerror="alert(1)">';
    const reply: OutboundMessage = {
      schemaVersion: 1,
      tenantId: context.tenantId,
      messageId: `reply-${Date.now()}`,
      conversationId: 'conv-widget',
      channel: 'chat',
      threadKey: sent.threadKey,
      recipient: sent.sender,
      authorAgentId: 'agent-1',
      text: hostile,
      attachments: [],
      inReplyTo: [sent.externalMessageId],
      createdAt: new Date().toISOString(),
    };
    await producer.send(wiring.topics.outboundMessages, [
      { key: reply.conversationId, value: encodeEnvelope(reply) },
    ]);

    const shown = page.locator(`#switchboard-chat [data-message-id="${reply.messageId}"]`);
    await shown.waitFor({ timeout: 15_000 });
    expect(await shown.textContent()).toBe(hostile);
    // Shown as text: no element was created from the markup and nothing ran.
    expect(await page.locator('#switchboard-chat img, #switchboard-chat b').count()).toBe(0);
    expect(await page.locator('#switchboard-chat .switchboard-visitor').textContent()).toBe(typed);
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
