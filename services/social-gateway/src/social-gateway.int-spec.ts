import { createHmac } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@switchboard/config';
import {
  type Attachment,
  type DeliveryStatus,
  decodeEnvelope,
  deliveryStatusSchema,
  encodeEnvelope,
  type InboundMessage,
  inboundMessageSchema,
  type OutboundMessage,
  threadPartitionKey,
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
  PlatformErrors,
  type PlatformStandIn,
  startMetaGraphStandIn,
  startTelegramStandIn,
  startXStandIn,
  type TestContext,
  waitForHttpStatus,
} from '@switchboard/testing';
import pino from 'pino';
import { AppModule } from './app.module';
import { parseSocialAccounts } from './config/social-accounts.config';
import { type SocialGatewayConfig, socialGatewayEnvSchema } from './config/social-gateway.config';
import { systemClock } from './shared/clock';
import type { SocialGatewayWiring } from './social-gateway.wiring';
import { TelegramCallbackAnswerer } from './webhooks/telegram-callback.answerer';

/**
 * The gateway in-process on the real Kafka and Redis of the local stack; only the platforms
 * (Meta Graph, Telegram, X) are local stand-ins that record what they receive.
 */

const META_SECRET = 'meta-app-secret-a';
const OTHER_META_SECRET = 'meta-app-secret-b';
const TELEGRAM_SECRET = 'telegram-hook-secret';
const X_SECRET = 'x-consumer-secret';

const accountsYaml = (tenantA: string, tenantB: string) => `
metaApps:
  - { id: app-a, appSecret: ${META_SECRET}, verifyToken: verify-token-a }
  - { id: app-b, appSecret: ${OTHER_META_SECRET}, verifyToken: verify-token-b }
xApps:
  - { id: x-app, consumerSecret: ${X_SECRET} }
accounts:
  - { channel: whatsapp, tenantId: ${tenantA}, appId: app-a, phoneNumberId: 'pn-a', accessToken: wa-token-a }
  - { channel: messenger, tenantId: ${tenantB}, appId: app-b, pageId: 'page-b', accessToken: page-token-b }
  - { channel: instagram, tenantId: ${tenantB}, appId: app-b, instagramAccountId: 'ig-b', accessToken: ig-token-b }
  - { channel: telegram, tenantId: ${tenantA}, botId: '4242', botToken: '4242:bot-token-a', webhookSecret: ${TELEGRAM_SECRET} }
  - { channel: x, tenantId: ${tenantB}, appId: x-app, userId: 'x-us', accessToken: x-token-b }
`;

const signMeta = (body: string, secret = META_SECRET) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

const signX = (body: string) =>
  `sha256=${createHmac('sha256', X_SECRET).update(body).digest('base64')}`;

function whatsAppText(
  id: string,
  from: string,
  text: string,
  timestamp = Math.floor(Date.now() / 1000),
) {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: 'waba',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { phone_number_id: 'pn-a' },
              contacts: [{ profile: { name: 'Customer' }, wa_id: from }],
              messages: [
                { from, id, timestamp: String(timestamp), type: 'text', text: { body: text } },
              ],
            },
          },
        ],
      },
    ],
  });
}

describe('social gateway on the real stack', () => {
  let context: TestContext;
  let tenantB: string;
  let kafka: KafkaClient;
  let producer: MessageProducer;
  let observer: MessageConsumer;
  let app: INestApplication;
  let baseUrl: string;
  let config: SocialGatewayConfig;
  let wiring: SocialGatewayWiring;
  let meta: PlatformStandIn;
  let telegram: PlatformStandIn;
  let x: PlatformStandIn;
  const inbound: { key: string | null; envelope: InboundMessage }[] = [];
  const statuses: DeliveryStatus[] = [];

  beforeAll(async () => {
    context = createTestContext('social gateway');
    tenantB = `${context.tenantId}-b`;
    [meta, telegram, x] = await Promise.all([
      startMetaGraphStandIn(),
      startTelegramStandIn(),
      startXStandIn(),
    ]);
    wiring = {
      topics: {
        inboundMessages: context.topic('inbound'),
        outboundMessages: context.topic('outbound'),
        deliveryStatus: context.topic('status'),
      },
      consumerGroupId: `${context.topicPrefix}social-gateway`,
      consumerTuning: {
        fromBeginning: true,
        sessionTimeoutMs: 6_000,
        heartbeatIntervalMs: 500,
        maxWaitTimeMs: 200,
        retryBackoffMs: 50,
      },
      clock: systemClock,
    };
    kafka = createKafkaClient({
      brokers: context.stack.kafkaBrokers.split(','),
      clientId: 'social-gateway-test',
    });
    await kafka
      .admin()
      .ensureTopics(
        topicSpecsFor(Object.values(wiring.topics), { partitions: 1, replicationFactor: 1 }),
      );
    producer = kafka.createProducer();
    observer = kafka.createConsumer({
      groupId: `${context.topicPrefix}observer`,
      topics: [wiring.topics.inboundMessages, wiring.topics.deliveryStatus],
      fromBeginning: true,
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 500,
      maxWaitTimeMs: 200,
      handler: async (message) => {
        if (message.topic === wiring.topics.inboundMessages) {
          inbound.push({
            key: message.key,
            envelope: decodeEnvelope('inbound', inboundMessageSchema, message.value),
          });
        } else {
          statuses.push(decodeEnvelope('status', deliveryStatusSchema, message.value));
        }
      },
    });
    await observer.start();

    const env = {
      KAFKA_BROKERS: context.stack.kafkaBrokers,
      REDIS_URL: context.stack.redisUrl,
      REDIS_KEY_PREFIX: context.redisKeyPrefix,
      LOG_LEVEL: 'silent',
      KAFKA_TOPIC_PARTITIONS: '1',
      META_GRAPH_BASE_URL: meta.url,
      TELEGRAM_API_BASE_URL: telegram.url,
      X_API_BASE_URL: x.url,
      OUTBOUND_RETRY_BASE_MS: '20',
    };
    config = {
      ...loadConfig(socialGatewayEnvSchema, env),
      accounts: parseSocialAccounts(accountsYaml(context.tenantId, tenantB)),
    };
    app = await startApp(config);
    baseUrl = await app.getUrl();
    baseUrl = baseUrl.replace('[::1]', '127.0.0.1');
    // As behind a load balancer: no webhook before Redis and Kafka answer (until then it is a 503).
    await waitForHttpStatus(`${baseUrl}/health/ready`, 200);
  }, 60_000);

  afterAll(async () => {
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
    await Promise.all([meta?.close(), telegram?.close(), x?.close()]);
  }, 30_000);

  async function startApp(appConfig: SocialGatewayConfig): Promise<INestApplication> {
    const instance = await NestFactory.create(AppModule.forRoot(appConfig, wiring), {
      bodyParser: false,
      logger: false,
    });
    await instance.listen(0, '127.0.0.1');
    return instance;
  }

  const post = (path: string, body: string, headers: Record<string, string>, url = baseUrl) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
    });

  const inboundIds = () => inbound.map(({ envelope }) => envelope.externalMessageId);

  /** Everything produced before `marker` was produced is in `inbound` once the marker is (one partition). */
  async function sendMarker(id: string): Promise<void> {
    const body = whatsAppText(id, '100', 'marker');
    expect(
      (await post('/webhooks/meta/app-a', body, { 'x-hub-signature-256': signMeta(body) })).status,
    ).toBe(200);
    await expectEventually(() => expect(inboundIds()).toContain(id));
  }

  /** The sum of a counter over every label set that includes `labels`. */
  async function metric(name: string, labels: string): Promise<number> {
    const text = await (await fetch(`${baseUrl}/metrics`)).text();
    return text
      .split('\n')
      .filter((row) => row.startsWith(`${name}{`) && row.includes(labels))
      .reduce((sum, row) => sum + Number(row.split(' ').at(-1)), 0);
  }

  async function sendOutbound(
    fields: Partial<OutboundMessage> &
      Pick<OutboundMessage, 'messageId' | 'channel' | 'threadKey' | 'text'>,
    recipient: string,
  ): Promise<void> {
    const message: OutboundMessage = {
      schemaVersion: 1,
      tenantId: context.tenantId,
      conversationId: `conv-${fields.messageId}`,
      recipient: { kind: 'platform_user', value: recipient, verified: true },
      authorAgentId: 'agent-1',
      attachments: [],
      inReplyTo: [],
      createdAt: new Date().toISOString(),
      ...fields,
    };
    await producer.send(wiring.topics.outboundMessages, [
      { key: message.conversationId, value: encodeEnvelope(message) },
    ]);
  }

  it('answers the Meta handshake and the X CRC challenge only with the right secrets', async () => {
    const ok = await fetch(
      `${baseUrl}/webhooks/meta/app-a?hub.mode=subscribe&hub.verify_token=verify-token-a&hub.challenge=ch-123`,
    );
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('ch-123');
    const wrong = await fetch(
      `${baseUrl}/webhooks/meta/app-a?hub.mode=subscribe&hub.verify_token=verify-token-b&hub.challenge=ch-123`,
    );
    expect(wrong.status).toBe(403);
    const crc = await fetch(`${baseUrl}/webhooks/x/x-app?crc_token=abc`);
    expect(await crc.json()).toEqual({
      response_token: `sha256=${createHmac('sha256', X_SECRET).update('abc').digest('base64')}`,
    });
  });

  it('produces a signed WhatsApp message to Kafka, keyed by its thread, before answering 200', async () => {
    const body = whatsAppText('wamid.first', '4917', 'Hello there');
    const response = await post('/webhooks/meta/app-a', body, {
      'x-hub-signature-256': signMeta(body),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ produced: 1, duplicates: 0 });
    await expectEventually(() => expect(inboundIds()).toContain('wamid.first'));
    const record = inbound.find(({ envelope }) => envelope.externalMessageId === 'wamid.first');
    expect(record?.envelope).toMatchObject({
      tenantId: context.tenantId,
      channel: 'whatsapp',
      threadKey: 'pn-a:4917',
      text: 'Hello there',
    });
    expect(record?.key).toBe(threadPartitionKey(context.tenantId, 'whatsapp', 'pn-a:4917'));
  });

  it('refuses missing and bad signatures with 401/403 and a metric, and produces nothing', async () => {
    const body = whatsAppText('wamid.forged', '4917', 'forged');
    const before = await metric(
      'switchboard_social_webhook_rejected_total',
      'reason="signature_invalid"',
    );
    expect((await post('/webhooks/meta/app-a', body, {})).status).toBe(401);
    expect(
      (
        await post('/webhooks/meta/app-a', body, {
          'x-hub-signature-256': signMeta(body, OTHER_META_SECRET),
        })
      ).status,
    ).toBe(403);
    expect(
      (await post('/webhooks/meta/app-a', body, { 'x-hub-signature-256': signMeta(`${body} `) }))
        .status,
    ).toBe(403);
    expect(
      (
        await post('/webhooks/telegram/4242', '{"update_id":1}', {
          'x-telegram-bot-api-secret-token': 'wrong-secret',
        })
      ).status,
    ).toBe(403);
    expect(
      (await post('/webhooks/x/x-app', '{}', { 'x-twitter-webhooks-signature': 'sha256=AAAA' }))
        .status,
    ).toBe(403);
    expect(
      await metric('switchboard_social_webhook_rejected_total', 'reason="signature_invalid"'),
    ).toBe(before + 4);
    await sendMarker('wamid.marker-1');
    expect(inboundIds()).not.toContain('wamid.forged');
  });

  it('produces a replayed or redelivered message only once', async () => {
    const body = whatsAppText('wamid.again', '4917', 'once only');
    const headers = { 'x-hub-signature-256': signMeta(body) };
    expect(await (await post('/webhooks/meta/app-a', body, headers)).json()).toMatchObject({
      produced: 1,
    });
    expect(await (await post('/webhooks/meta/app-a', body, headers)).json()).toMatchObject({
      produced: 0,
      duplicates: 1,
    });
    await sendMarker('wamid.marker-2');
    expect(inboundIds().filter((id) => id === 'wamid.again')).toHaveLength(1);
  });

  it("answers malformed JSON with 400, acknowledges unknown objects, and drops other apps' accounts", async () => {
    const broken = '{"object": "whatsapp_business_account", ';
    const malformed = await post('/webhooks/meta/app-a', broken, {
      'x-hub-signature-256': signMeta(broken),
    });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { message: string }).message).toMatch(
      /^malformed JSON body/,
    );

    const before = await metric('switchboard_social_webhook_updates_total', 'outcome="unknown"');
    const unknown = JSON.stringify({ object: 'hologram', entry: [] });
    expect(
      (await post('/webhooks/meta/app-a', unknown, { 'x-hub-signature-256': signMeta(unknown) }))
        .status,
    ).toBe(200);
    expect(await metric('switchboard_social_webhook_updates_total', 'outcome="unknown"')).toBe(
      before + 1,
    );

    // Signed by app A but naming tenant B's page: accepted by nobody.
    const foreign = JSON.stringify({
      object: 'page',
      entry: [
        {
          id: 'page-b',
          messaging: [
            {
              sender: { id: 'psid' },
              recipient: { id: 'page-b' },
              timestamp: Date.now(),
              message: { mid: 'm_foreign', text: 'x' },
            },
          ],
        },
      ],
    });
    expect(
      await (
        await post('/webhooks/meta/app-a', foreign, { 'x-hub-signature-256': signMeta(foreign) })
      ).json(),
    ).toMatchObject({ produced: 0, skipped: 1 });
    await sendMarker('wamid.marker-3');
    expect(inboundIds()).not.toContain('m_foreign');
  });

  it("accepts Telegram updates with the bot's secret token", async () => {
    const body = JSON.stringify({
      update_id: 77,
      message: {
        message_id: 5,
        from: { id: 900, first_name: 'Tg' },
        chat: { id: 900, type: 'private' },
        date: 1768046400,
        text: 'hi bot',
      },
    });
    expect(
      (
        await post('/webhooks/telegram/4242', body, {
          'x-telegram-bot-api-secret-token': TELEGRAM_SECRET,
        })
      ).status,
    ).toBe(200);
    await expectEventually(() => expect(inboundIds()).toContain('900:5'));
  });

  it("sends WhatsApp replies inside the window, reports sent, then maps the platform's delivered status", async () => {
    await sendOutbound(
      { messageId: 'out-wa-1', channel: 'whatsapp', threadKey: 'pn-a:4917', text: 'We are on it' },
      '4917',
    );
    await expectEventually(() =>
      expect(statuses.find((s) => s.messageId === 'out-wa-1')?.status).toBe('sent'),
    );
    const request = meta.requests.find((r) => JSON.stringify(r.body).includes('We are on it'));
    expect(request?.path).toBe('/pn-a/messages');
    expect(request?.headers.authorization).toBe('Bearer wa-token-a');
    expect(request?.body).toMatchObject({
      messaging_product: 'whatsapp',
      to: '4917',
      type: 'text',
      text: { body: 'We are on it' },
    });

    const wamid = statuses.find((s) => s.messageId === 'out-wa-1')?.externalMessageId ?? '';
    const receipt = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: 'waba',
          changes: [
            {
              field: 'messages',
              value: {
                metadata: { phone_number_id: 'pn-a' },
                statuses: [
                  { id: wamid, status: 'delivered', timestamp: '1768046400', recipient_id: '4917' },
                ],
              },
            },
          ],
        },
      ],
    });
    expect(
      (await post('/webhooks/meta/app-a', receipt, { 'x-hub-signature-256': signMeta(receipt) }))
        .status,
    ).toBe(200);
    await expectEventually(() =>
      expect(
        statuses.find((s) => s.messageId === 'out-wa-1' && s.status === 'delivered'),
      ).toMatchObject({
        conversationId: 'conv-out-wa-1',
        externalMessageId: wamid,
      }),
    );
  });

  it('rejects free-form WhatsApp outside the 24-hour window with a reason, but sends templates', async () => {
    await sendOutbound(
      { messageId: 'out-wa-cold', channel: 'whatsapp', threadKey: 'pn-a:4999', text: 'Cold hello' },
      '4999',
    );
    await sendOutbound(
      {
        messageId: 'out-wa-template',
        channel: 'whatsapp',
        threadKey: 'pn-a:4999',
        text: 'Your order shipped',
        template: { name: 'order_update', languageCode: 'en', bodyParameters: ['A-1'] },
      },
      '4999',
    );
    await expectEventually(() => {
      expect(statuses.find((s) => s.messageId === 'out-wa-cold')).toMatchObject({
        status: 'failed',
        errorCode: 'outside_customer_service_window',
      });
      expect(statuses.find((s) => s.messageId === 'out-wa-template')?.status).toBe('sent');
    });
    expect(meta.requests.some((r) => JSON.stringify(r.body).includes('Cold hello'))).toBe(false);
    expect(
      meta.requests.find((r) => JSON.stringify(r.body).includes('order_update'))?.body,
    ).toMatchObject({
      type: 'template',
      template: {
        name: 'order_update',
        language: { code: 'en' },
        components: [{ type: 'body', parameters: [{ type: 'text', text: 'A-1' }] }],
      },
    });
  });

  it('retries 429 and 5xx with backoff, surfaces platform rejections with their code, never sends twice', async () => {
    telegram.failNext(PlatformErrors.telegramRateLimited(0));
    telegram.failNext(PlatformErrors.telegramForbidden());
    await sendOutbound(
      { messageId: 'out-tg-1', channel: 'telegram', threadKey: '4242:900', text: 'tg after 429' },
      '900',
    );
    await expectEventually(() =>
      expect(statuses.find((s) => s.messageId === 'out-tg-1')).toMatchObject({
        status: 'failed',
        errorCode: '403',
      }),
    );
    expect(
      telegram.requests.filter((r) => r.path === '/bot4242:bot-token-a/sendMessage'),
    ).toHaveLength(2);

    x.failNext(PlatformErrors.xRateLimited(), 2);
    await sendOutbound(
      {
        messageId: 'out-x-1',
        channel: 'x',
        threadKey: 'x-us:cust',
        text: 'x reply',
        tenantId: tenantB,
      },
      'cust',
    );
    await expectEventually(() =>
      expect(statuses.find((s) => s.messageId === 'out-x-1')?.status).toBe('sent'),
    );
    expect(
      x.requests.filter((r) => r.path === '/2/dm_conversations/with/cust/messages'),
    ).toHaveLength(3);

    // The same outbound message again (a redelivery): reported again, not sent again.
    const sentBefore = x.requests.length;
    await sendOutbound(
      {
        messageId: 'out-x-1',
        channel: 'x',
        threadKey: 'x-us:cust',
        text: 'x reply',
        tenantId: tenantB,
      },
      'cust',
    );
    await expectEventually(() =>
      expect(statuses.filter((s) => s.messageId === 'out-x-1')).toHaveLength(2),
    );
    expect(x.requests.length).toBe(sentBefore);

    // Tenant isolation: tenant A cannot send from tenant B's X account.
    await sendOutbound(
      { messageId: 'out-x-foreign', channel: 'x', threadKey: 'x-us:cust', text: 'not yours' },
      'cust',
    );
    await expectEventually(() =>
      expect(statuses.find((s) => s.messageId === 'out-x-foreign')).toMatchObject({
        status: 'failed',
        errorCode: 'unknown_account',
      }),
    );
  });

  /** Sends an outbound message of tenant B and waits for its `sent` status; returns the platform id. */
  async function sendAndAwaitSent(
    fields: Pick<OutboundMessage, 'messageId' | 'channel' | 'threadKey' | 'text'> &
      Partial<OutboundMessage>,
    recipient: string,
  ): Promise<string> {
    await sendOutbound({ tenantId: tenantB, ...fields }, recipient);
    await expectEventually(() =>
      expect(
        statuses.find((s) => s.messageId === fields.messageId && s.status === 'sent'),
      ).toBeDefined(),
    );
    return (
      statuses.find((s) => s.messageId === fields.messageId && s.status === 'sent')
        ?.externalMessageId ?? ''
    );
  }

  const readsOf = (messageId: string) =>
    statuses.filter((s) => s.messageId === messageId && s.status === 'read');

  it('turns X mark-read events into read statuses up to the last message read, each once', async () => {
    const first = await sendAndAwaitSent(
      { messageId: 'out-x-read-1', channel: 'x', threadKey: 'x-us:reader', text: 'first' },
      'reader',
    );
    await sendAndAwaitSent(
      { messageId: 'out-x-read-2', channel: 'x', threadKey: 'x-us:reader', text: 'second' },
      'reader',
    );
    const second = statuses.find((s) => s.messageId === 'out-x-read-2')?.externalMessageId ?? '';
    const markRead = (lastReadId: string, readerId = 'reader') =>
      JSON.stringify({
        for_user_id: 'x-us',
        direct_message_mark_read_events: [
          {
            created_timestamp: String(Date.now()),
            sender_id: readerId,
            target: { recipient_id: 'x-us' },
            last_read_event_id: lastReadId,
          },
        ],
      });
    const postRead = async (body: string) =>
      (
        await post('/webhooks/x/x-app', body, { 'x-twitter-webhooks-signature': signX(body) })
      ).json();

    // Read up to the first message: the second, sent before this report arrived, stays unread.
    expect(await postRead(markRead(first))).toMatchObject({ statuses: 1 });
    await expectEventually(() =>
      expect(readsOf('out-x-read-1')).toMatchObject([
        { tenantId: tenantB, conversationId: 'conv-out-x-read-1', externalMessageId: first },
      ]),
    );
    // A redelivered report, and our own account reading, report nothing more.
    expect(await postRead(markRead(first))).toMatchObject({ statuses: 0 });
    expect(await postRead(markRead(second, 'x-us'))).toMatchObject({ statuses: 0, skipped: 1 });
    expect(await postRead(markRead(second))).toMatchObject({ statuses: 1 });
    await expectEventually(() => expect(readsOf('out-x-read-2')).toHaveLength(1));
    expect(readsOf('out-x-read-1')).toHaveLength(1);
  });

  it('turns Messenger read watermarks and Instagram reads into read statuses of our messages', async () => {
    await sendAndAwaitSent(
      { messageId: 'out-ms-read', channel: 'messenger', threadKey: 'page-b:psid-9', text: 'hi' },
      'psid-9',
    );
    const messengerRead = JSON.stringify({
      object: 'page',
      entry: [
        {
          id: 'page-b',
          time: Date.now(),
          messaging: [
            {
              sender: { id: 'psid-9' },
              recipient: { id: 'page-b' },
              timestamp: Date.now(),
              read: { watermark: Date.now() },
            },
          ],
        },
      ],
    });
    const postMetaB = async (body: string) =>
      (
        await post('/webhooks/meta/app-b', body, {
          'x-hub-signature-256': signMeta(body, OTHER_META_SECRET),
        })
      ).json();
    expect(await postMetaB(messengerRead)).toMatchObject({ statuses: 1 });
    await expectEventually(() =>
      expect(readsOf('out-ms-read')).toMatchObject([{ channel: 'messenger', tenantId: tenantB }]),
    );

    const igFirst = await sendAndAwaitSent(
      { messageId: 'out-ig-read-1', channel: 'instagram', threadKey: 'ig-b:igsid-3', text: 'a' },
      'igsid-3',
    );
    await sendAndAwaitSent(
      { messageId: 'out-ig-read-2', channel: 'instagram', threadKey: 'ig-b:igsid-3', text: 'b' },
      'igsid-3',
    );
    const instagramRead = JSON.stringify({
      object: 'instagram',
      entry: [
        {
          id: 'ig-b',
          time: Date.now(),
          messaging: [
            {
              sender: { id: 'igsid-3' },
              recipient: { id: 'ig-b' },
              timestamp: Date.now(),
              read: { mid: igFirst },
            },
          ],
        },
      ],
    });
    expect(await postMetaB(instagramRead)).toMatchObject({ statuses: 1 });
    await expectEventually(() =>
      expect(readsOf('out-ig-read-1')).toMatchObject([{ channel: 'instagram' }]),
    );
    expect(readsOf('out-ig-read-2')).toEqual([]);
  });

  it('sends attachments as media messages on each platform, and refuses what a platform cannot take', async () => {
    const attachment = (
      filename: string,
      contentType: string,
      extra: Partial<Attachment> = {},
    ) => ({
      filename,
      contentType,
      sizeBytes: 4096,
      inline: false,
      platformMediaUrl: `https://files.example/${filename}`,
      ...extra,
    });
    const photo = attachment('photo.jpg', 'image/jpeg');
    const contract = attachment('contract.pdf', 'application/pdf');

    // WhatsApp (window open since the customer wrote): caption on the image, document by media id.
    const waBefore = meta.requests.length;
    await sendOutbound(
      {
        messageId: 'out-wa-media',
        channel: 'whatsapp',
        threadKey: 'pn-a:4917',
        text: 'Here you go',
        attachments: [photo, { ...contract, platformMediaId: 'wa-media-7' }],
      },
      '4917',
    );
    await expectEventually(() =>
      expect(statuses.find((s) => s.messageId === 'out-wa-media')?.status).toBe('sent'),
    );
    expect(meta.requests.slice(waBefore).map((r) => r.body)).toEqual([
      expect.objectContaining({
        to: '4917',
        type: 'image',
        image: { link: 'https://files.example/photo.jpg', caption: 'Here you go' },
      }),
      expect.objectContaining({
        type: 'document',
        document: { id: 'wa-media-7', filename: 'contract.pdf' },
      }),
    ]);

    // Messenger has no captions: the text, then the attachment by URL.
    const messengerBefore = meta.requests.length;
    await sendAndAwaitSent(
      {
        messageId: 'out-ms-media',
        channel: 'messenger',
        threadKey: 'page-b:psid-9',
        text: 'The contract',
        attachments: [contract],
      },
      'psid-9',
    );
    expect(meta.requests.slice(messengerBefore).map((r) => [r.path, r.body])).toEqual([
      ['/page-b/messages', expect.objectContaining({ message: { text: 'The contract' } })],
      [
        '/page-b/messages',
        expect.objectContaining({
          message: {
            attachment: {
              type: 'file',
              payload: { url: 'https://files.example/contract.pdf', is_reusable: false },
            },
          },
        }),
      ],
    ]);

    // Telegram: sendPhoto with the caption, then sendDocument, both by URL.
    const telegramBefore = telegram.requests.length;
    await sendOutbound(
      {
        messageId: 'out-tg-media',
        channel: 'telegram',
        threadKey: '4242:900',
        text: 'Photo and contract',
        attachments: [photo, contract],
      },
      '900',
    );
    await expectEventually(() =>
      expect(statuses.find((s) => s.messageId === 'out-tg-media')?.status).toBe('sent'),
    );
    expect(telegram.requests.slice(telegramBefore).map((r) => [r.path, r.body])).toEqual([
      [
        '/bot4242:bot-token-a/sendPhoto',
        {
          chat_id: '900',
          photo: 'https://files.example/photo.jpg',
          caption: 'Photo and contract',
        },
      ],
      [
        '/bot4242:bot-token-a/sendDocument',
        { chat_id: '900', document: 'https://files.example/contract.pdf' },
      ],
    ]);

    // What a platform cannot take fails with a clear code, and nothing of the reply is sent.
    const requestsBefore = meta.requests.length + x.requests.length;
    await sendOutbound(
      {
        messageId: 'out-x-media',
        channel: 'x',
        threadKey: 'x-us:cust',
        text: 'with a photo',
        attachments: [photo],
        tenantId: tenantB,
      },
      'cust',
    );
    await sendOutbound(
      {
        messageId: 'out-ig-zip',
        channel: 'instagram',
        threadKey: 'ig-b:igsid-3',
        text: 'logs',
        attachments: [attachment('logs.zip', 'application/zip')],
        tenantId: tenantB,
      },
      'igsid-3',
    );
    await expectEventually(() => {
      expect(statuses.find((s) => s.messageId === 'out-x-media')).toMatchObject({
        status: 'failed',
        errorCode: 'attachments_not_supported',
      });
      expect(statuses.find((s) => s.messageId === 'out-ig-zip')).toMatchObject({
        status: 'failed',
        errorCode: 'attachment_type_not_supported',
        errorMessage: 'instagram does not accept application/zip files (logs.zip)',
      });
    });
    expect(meta.requests.length + x.requests.length).toBe(requestsBefore);
  });

  const telegramCallback = (callbackQueryId: string, updateId: number) =>
    JSON.stringify({
      update_id: updateId,
      callback_query: {
        id: callbackQueryId,
        from: { id: 900, first_name: 'Tg' },
        data: 'opt_1',
        message: { message_id: 7, chat: { id: 900, type: 'private' } },
      },
    });
  const callbackAnswers = (callbackQueryId: string) =>
    telegram.requests.filter(
      (r) =>
        r.path === '/bot4242:bot-token-a/answerCallbackQuery' &&
        JSON.stringify(r.body) === JSON.stringify({ callback_query_id: callbackQueryId }),
    );

  it('answers Telegram callback queries once the update is on Kafka; a failed answer never blocks the ack', async () => {
    const headers = { 'x-telegram-bot-api-secret-token': TELEGRAM_SECRET };
    const answered = await post('/webhooks/telegram/4242', telegramCallback('cbq-1', 501), headers);
    expect(answered.status).toBe(200);
    expect(await answered.json()).toMatchObject({ produced: 1 });
    await expectEventually(() => {
      expect(inboundIds()).toContain('callback:cbq-1');
      expect(callbackAnswers('cbq-1')).toHaveLength(1);
    });

    telegram.failNext(PlatformErrors.telegramCallbackQueryTooOld());
    const refused = await post('/webhooks/telegram/4242', telegramCallback('cbq-2', 502), headers);
    expect(refused.status).toBe(200);
    await expectEventually(() => {
      expect(inboundIds()).toContain('callback:cbq-2');
      expect(callbackAnswers('cbq-2')).toHaveLength(1);
    });
    // The gateway still serves webhooks normally after the failed answer.
    await sendMarker('wamid.marker-after-callback');

    // What a failed answer logs: Telegram's code and reason, the bot id, never the bot token.
    const lines: string[] = [];
    const answerer = new TelegramCallbackAnswerer(
      telegram.url,
      pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) }),
    );
    telegram.failNext(PlatformErrors.telegramCallbackQueryTooOld());
    const bot = parseSocialAccounts(accountsYaml('t', 'u')).accounts.find(
      (account) => account.channel === 'telegram',
    );
    if (bot?.channel !== 'telegram') throw new Error('the test accounts have a Telegram bot');
    answerer.answerInBackground(bot, 'cbq-logged');
    await answerer.beforeApplicationShutdown();
    expect(lines).toHaveLength(1);
    const logged = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(logged).toMatchObject({
      botId: '4242',
      callbackQueryId: 'cbq-logged',
      errorCode: '400',
    });
    expect(logged.msg).toMatch(/^answerCallbackQuery failed/);
    expect(lines[0]).not.toContain('bot-token-a');
  });

  it('refuses with 503 while Kafka is down and marks nothing seen, so the redelivery is produced', async () => {
    const down = await startApp({
      ...config,
      KAFKA_BROKERS: ['127.0.0.1:1'],
      KAFKA_SEND_TIMEOUT_MS: 1_000,
    });
    try {
      const downUrl = (await down.getUrl()).replace('[::1]', '127.0.0.1');
      const body = whatsAppText('wamid.while-down', '4917', 'during outage');
      const refused = await post(
        '/webhooks/meta/app-a',
        body,
        { 'x-hub-signature-256': signMeta(body) },
        downUrl,
      );
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('5');
      // A callback button is answered only once its update is on Kafka: not on a 503.
      const callback = await post(
        '/webhooks/telegram/4242',
        telegramCallback('cbq-down', 503),
        { 'x-telegram-bot-api-secret-token': TELEGRAM_SECRET },
        downUrl,
      );
      expect(callback.status).toBe(503);
      const metrics = await (await fetch(`${downUrl}/metrics`)).text();
      // Counted per platform and the dependency that refused (Redis may still be connecting too).
      for (const platform of ['meta', 'telegram']) {
        expect(metrics).toMatch(
          new RegExp(
            `switchboard_social_webhook_deferred_total\\{platform="${platform}",dependency="(kafka|redis)"`,
          ),
        );
      }
      // The platform redelivers, this time to a healthy replica.
      expect(
        await (
          await post('/webhooks/meta/app-a', body, { 'x-hub-signature-256': signMeta(body) })
        ).json(),
      ).toMatchObject({ produced: 1 });
      await expectEventually(() => expect(inboundIds()).toContain('wamid.while-down'));
      expect(callbackAnswers('cbq-down')).toEqual([]);
    } finally {
      await down.close();
    }
  }, 30_000);
});
