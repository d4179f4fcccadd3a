import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@switchboard/config';
import {
  decodeEnvelope,
  type ConversationActivityEvent,
  encodeEnvelope,
  type InboundMessage,
  inboundMessageSchema,
  inboundMessageIdOf,
  type OutboundMessage,
  threadPartitionKey,
} from '@switchboard/events';
import type { MessageProducer } from '@switchboard/kafka';
import {
  createTestContext,
  expectEventually,
  freePort,
  type LaunchedChromium,
  launchChromium,
  type TestContext,
} from '@switchboard/testing';
import { ConversationActivityConsumer } from '../activity/conversation-activity.consumer';
import { AppModule } from '../app.module';
import type { ChatGatewayWiring } from '../chat-gateway.wiring';
import { type ChatKafkaKit, startChatKafkaKit } from '../chat-kafka-kit.test-helper';
import { chatGatewayEnvSchema } from '../config/chat-gateway.config';
import { parseChatTenants } from '../config/chat-tenants.config';
import { OutboundMessageConsumer } from '../outbound/outbound-message.consumer';
import {
  produceConversationCreated,
  type RouterStandIn,
  startRouterStandIn,
  waitEstimate,
} from '../queue/router.stand-in.test-helper';

/**
 * The widget in Debian's Chromium against the gateway on the real Kafka and Redis: the demo page
 * sends a visitor message to Kafka, and an agent reply produced to the outbound topic appears in
 * the page, markup shown as text.
 */
const JWT_SECRET = 'chat-widget-test-secret-of-at-least-32-bytes';

describe('chat widget in a browser', () => {
  let context: TestContext;
  let kit: ChatKafkaKit | undefined;
  let producer: MessageProducer;
  let wiring: ChatGatewayWiring;
  let app: INestApplication;
  let chromium: LaunchedChromium;
  let baseUrl: string;
  let router: RouterStandIn;
  const inbound: InboundMessage[] = [];

  beforeAll(async () => {
    context = createTestContext('chat widget');
    kit = await startChatKafkaKit(context, {
      clientId: 'chat-widget-test',
      // The Kafka library's default retry backoff, as this test has always run with.
      consumerTuning: { retryBackoffMs: undefined },
      observe: {
        topics: ['inboundMessages'],
        onMessage: (message) => {
          inbound.push(decodeEnvelope('inbound', inboundMessageSchema, message.value));
        },
      },
    });
    ({ wiring, producer } = kit);

    router = await startRouterStandIn(context.tenantId, JWT_SECRET);
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const config = {
      ...loadConfig(chatGatewayEnvSchema, {
        KAFKA_BROKERS: context.stack.kafkaBrokers,
        REDIS_URL: context.stack.redisUrl,
        REDIS_KEY_PREFIX: context.redisKeyPrefix,
        LOG_LEVEL: 'silent',
        KAFKA_TOPIC_PARTITIONS: '1',
        ROUTER_GRPC_URL: router.address,
        AUTH_JWT_SECRET: JWT_SECRET,
        CHAT_QUEUE_POLL_INTERVAL_MS: '200',
      }),
      tenants: parseChatTenants(
        `tenants: [{ id: ${context.tenantId}, allowedOrigins: ['${baseUrl}'], prechatTopics: [billing, technical] }]`,
      ),
    };
    app = await NestFactory.create(AppModule.forRoot(config, wiring), { logger: false });
    await app.listen(port, '127.0.0.1');
    await expectEventually(
      () => {
        expect(app.get(OutboundMessageConsumer).assignedPartitions()).toEqual([0]);
        expect(app.get(ConversationActivityConsumer).assignedPartitions()).toEqual([0]);
      },
      { timeoutMs: 30_000 },
    );
    chromium = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await chromium?.close();
    await app?.close();
    await router?.stop();
    await kit?.close();
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

    // The pre-chat form first, its topics from the tenant's configuration.
    const widget = page.locator('#switchboard-chat');
    await widget.locator('[data-role="prechat"]').waitFor({ state: 'visible' });
    expect(await widget.locator('[data-role="input"]').isVisible()).toBe(false);
    expect(await widget.locator('[data-role="prechat-topic"] option').allTextContents()).toEqual([
      'billing',
      'technical',
    ]);
    // A name with markup is refused by the gateway, and the refusal is shown beside the form.
    await widget.locator('[data-role="prechat-name"]').fill('<i>Ada</i>');
    await widget.locator('[data-role="prechat"] button').click();
    await widget
      .locator('[data-role="prechat-error"]')
      .getByText('invalid pre-chat form: name: must not contain "<", ">" or control characters')
      .waitFor();
    await widget.locator('[data-role="prechat-name"]').fill('Ada Lovelace');
    await widget.locator('[data-role="prechat-email"]').fill('ada@example.com');
    await widget.locator('[data-role="prechat-topic"]').selectOption('technical');
    await widget.locator('[data-role="prechat"] button').click();
    await widget.locator('[data-role="input"]').waitFor({ state: 'visible' });
    expect(await widget.locator('[data-role="prechat"]').isVisible()).toBe(false);

    const typed = 'Hello <b>there</b>';
    await page.locator('#switchboard-chat [data-role="input"]').fill(typed);
    await page.locator('#switchboard-chat [data-role="send"]').click();
    const sent = await expectEventually(() => {
      const message = inbound.find((entry) => entry.text === typed);
      expect(message).toBeDefined();
      return message!;
    });
    expect(sent).toMatchObject({
      tenantId: context.tenantId,
      channel: 'chat',
      sender: { displayName: 'Ada Lovelace' },
      metadata: { preChatTopic: 'technical', preChatEmail: 'ada@example.com' },
    });

    // Waiting: the router's estimate for the conversation the thread became.
    router.estimates.set(
      'conv-widget',
      waitEstimate({ position: '3', expectedWaitSeconds: 110, agentsOnline: true }),
    );
    await produceConversationCreated(
      producer,
      wiring.topics.conversationEvents,
      context.tenantId,
      sent.threadKey,
      'conv-widget',
    );
    const queueLine = page.locator('#switchboard-chat [data-role="queue-status"]');
    await queueLine
      .getByText('You are number 3 in line, about 2 minutes')
      .waitFor({ timeout: 15_000 });
    // Nobody online: offline mode, with the email the visitor already left.
    router.estimates.set('conv-widget', waitEstimate({ position: '3', agentsOnline: false }));
    await page
      .locator('#switchboard-chat [data-role="status"]')
      .getByText('No one is available right now — leave a message and we will email you')
      .waitFor({ timeout: 15_000 });
    expect(await queueLine.isVisible()).toBe(false);
    expect(await widget.locator('[data-role="input"]').isVisible()).toBe(true);
    router.estimates.set('conv-widget', waitEstimate({ position: '2', expectedWaitSeconds: 30 }));
    await queueLine
      .getByText('You are number 2 in line, less than a minute')
      .waitFor({ timeout: 15_000 });

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
    expect(await queueLine.isVisible()).toBe(false);
    // Shown as text: no element was created from the markup and nothing ran.
    expect(
      await page.locator('#switchboard-chat img, #switchboard-chat b, #switchboard-chat i').count(),
    ).toBe(0);
    expect(await page.locator('#switchboard-chat .switchboard-visitor').textContent()).toBe(typed);

    // The assignee types (with markup in the name, shown as text), then reads the message.
    const activity = (
      overrides: Partial<ConversationActivityEvent>,
    ): ConversationActivityEvent => ({
      schemaVersion: 1,
      tenantId: context.tenantId,
      channel: 'chat',
      threadKey: sent.threadKey,
      conversationId: 'conv-widget',
      actor: { kind: 'agent', id: 'agent-1', name: '<b>Dana</b>' },
      isAssignee: true,
      activity: 'typing',
      occurredAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 10_000).toISOString(),
      origin: 'widget-test',
      ...overrides,
    });
    const produceActivity = (event: ConversationActivityEvent) =>
      producer.send(wiring.topics.conversationActivity, [
        {
          key: threadPartitionKey(event.tenantId, event.channel, event.threadKey),
          value: encodeEnvelope(event),
        },
      ]);
    await produceActivity(activity({}));
    const typing = page.locator('#switchboard-chat [data-role="agent-typing"]');
    await typing.getByText('<b>Dana</b> is typing…').waitFor({ timeout: 15_000 });
    // A second message, then the agent reads up to the first (named by the conversation
    // service's id of it): only the first is marked read.
    const second = 'and a second question';
    await page.locator('#switchboard-chat [data-role="input"]').fill(second);
    await page.locator('#switchboard-chat [data-role="send"]').click();
    const visitorLines = page.locator('#switchboard-chat .switchboard-visitor');
    await page
      .locator('#switchboard-chat .switchboard-visitor[data-state="sent"]')
      .nth(1)
      .waitFor({ timeout: 15_000 });
    await produceActivity(
      activity({
        activity: 'viewing',
        lastReadMessageId: inboundMessageIdOf(context.tenantId, 'chat', sent.externalMessageId),
      }),
    );
    const readMark = page.locator('#switchboard-chat [data-role="read-mark"]');
    await readMark.getByText('✓ Read').waitFor({ timeout: 15_000 });
    expect(await typing.isVisible()).toBe(false);
    expect(await visitorLines.nth(0).getAttribute('data-read')).toBe('true');
    expect(await visitorLines.nth(1).getAttribute('data-read')).toBeNull();
    // The mark sits right under the message that was read, before the reply.
    expect(await readMark.locator('xpath=preceding-sibling::*[1]').textContent()).toBe(typed);
    // A message this page does not show was sent later (another tab): everything is read.
    await produceActivity(
      activity({ activity: 'viewing', lastReadMessageId: 'msg_from_elsewhere' }),
    );
    await expectEventually(async () =>
      expect(await visitorLines.nth(1).getAttribute('data-read')).toBe('true'),
    );
    expect(await readMark.count()).toBe(1);
    expect(await readMark.locator('xpath=preceding-sibling::*[1]').textContent()).toBe(second);
    // A late signal naming the first message again does not move the mark back; the typing
    // signal after it (same partition, in order) shows it was handled.
    await produceActivity(
      activity({
        activity: 'viewing',
        lastReadMessageId: inboundMessageIdOf(context.tenantId, 'chat', sent.externalMessageId),
      }),
    );
    await produceActivity(activity({ actor: { kind: 'agent', id: 'agent-1', name: 'Dana' } }));
    await typing.getByText('Dana is typing…').waitFor({ timeout: 15_000 });
    expect(await readMark.locator('xpath=preceding-sibling::*[1]').textContent()).toBe(second);
    expect(await page.locator('#switchboard-chat b').count()).toBe(0);

    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
