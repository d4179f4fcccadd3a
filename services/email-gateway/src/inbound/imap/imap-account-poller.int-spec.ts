import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { decodeEnvelope, type InboundMessage, inboundMessageSchema } from '@switchboard/events';
import {
  createKafkaClient,
  type KafkaClient,
  type MessageConsumer,
  type MessageProducer,
  type OutgoingMessage,
} from '@switchboard/kafka';
import { openRedisConnection, type RedisClient } from '@switchboard/redis';
import {
  createTestContext,
  expectEventually,
  type ImapServerStandIn,
  startImapServerStandIn,
} from '@switchboard/testing';
import pino from 'pino';
import { MailauthAuthenticator, stubResolver } from '../../authenticity/mail-authenticator';
import { RedactedSecret } from '../../shared/redacted-secret';
import { LocalDiskStorage } from '../../storage/blob-storage';
import type { ImapAccountConfig } from '../../tenants/tenant-directory';
import { gmailReply, plainMail } from '../../testing/mail-fixtures';
import { RedisThreadIndex } from '../../threading/thread-index';
import { ThreadSigner } from '../../threading/thread-signer';
import {
  type IngestMailCommand,
  type IngestOutcome,
  IngestMailUseCase,
} from '../ingest-mail.usecase';
import { DEFAULT_PARSE_LIMITS } from '../parsing/parse-mail';
import { ImapAccountPoller } from './imap-account-poller';
import { RedisImapCheckpointStore } from './imap-checkpoint.store';
import { PollImapMailboxUseCase } from './poll-imap-mailbox.usecase';

/** Sends through the real Kafka, or through a producer whose broker is down, as a test decides. */
class SwitchableProducer implements MessageProducer {
  current: MessageProducer;
  constructor(
    readonly up: MessageProducer,
    readonly down: MessageProducer,
  ) {
    this.current = up;
  }
  connect(): Promise<void> {
    return this.current.connect();
  }
  send(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    return this.current.send(topic, messages);
  }
  disconnect(): Promise<void> {
    return Promise.all([this.up.disconnect(), this.down.disconnect()]).then(() => undefined);
  }
  isConnected(): boolean {
    return this.current.isConnected();
  }
}

/** The IMAP poller against Dovecot, with the real Kafka and Redis of the local stack. */
describe('IMAP poller (Dovecot) → Kafka', () => {
  const context = createTestContext('email imap poller');
  const inboundTopic = context.topic('inbound');
  const storageDir = mkdtempSync(join(tmpdir(), 'email-imap-'));
  const address = 'support@acme.test';
  const logLines: string[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString());
        done();
      },
    }),
  );
  const received: InboundMessage[] = [];
  const pollers: ImapAccountPoller[] = [];
  let kafka: KafkaClient;
  let unreachableKafka: KafkaClient;
  let redis: RedisClient;
  let consumer: MessageConsumer;
  let producer: SwitchableProducer;
  let ingest: IngestMailUseCase;
  let checkpoints: RedisImapCheckpointStore;
  let imap: ImapServerStandIn;

  function account(id: string, overrides: Partial<ImapAccountConfig> = {}): ImapAccountConfig {
    return {
      id,
      host: imap.host,
      port: imap.port,
      secure: false,
      user: imap.user,
      password: new RedactedSecret(imap.password),
      mailbox: id,
      // Far beyond every deadline below: mail that arrives did so through IDLE, not the timer.
      pollIntervalSeconds: 3_600,
      ...overrides,
    };
  }

  function startPoller(
    config: ImapAccountConfig,
    ingestUseCase: { execute(command: IngestMailCommand): Promise<IngestOutcome> } = ingest,
  ): ImapAccountPoller {
    const poller = new ImapAccountPoller({
      tenantId: context.tenantId,
      address,
      account: config,
      poll: new PollImapMailboxUseCase({
        ingest: ingestUseCase,
        checkpoints,
        clock: { now: () => new Date() },
      }),
      logger,
      retryBaseMs: 100,
      retryMaxDelayMs: 500,
      connectionTimeoutMs: 2_000,
    });
    poller.start();
    pollers.push(poller);
    return poller;
  }

  function mailFor(prefix: string, index: number): Buffer {
    return plainMail(`${prefix} mail ${index}`, {
      messageId: `<${prefix}.${index}@customer.test>`,
    });
  }

  function receivedIds(prefix: string): string[] {
    return received
      .map((message) => message.externalMessageId)
      .filter((id) => id.startsWith(`<${prefix}.`));
  }

  function idsOf(prefix: string, indexes: number[]): string[] {
    return indexes.map((index) => `<${prefix}.${index}@customer.test>`);
  }

  beforeAll(async () => {
    imap = await startImapServerStandIn();
    kafka = createKafkaClient({
      brokers: context.stack.kafkaBrokers.split(','),
      clientId: 'email-imap-int',
    });
    unreachableKafka = createKafkaClient({
      brokers: ['127.0.0.1:1'],
      clientId: 'email-imap-int-down',
      connectionTimeoutMs: 300,
    });
    // One partition: the order read back is the order the poller produced in.
    await kafka.admin().ensureTopics([
      { name: inboundTopic, partitions: 1 },
      { name: `${inboundTopic}.dlq`, partitions: 1 },
    ]);
    redis = openRedisConnection({ url: context.stack.redisUrl, keyPrefix: context.redisKeyPrefix });
    checkpoints = new RedisImapCheckpointStore(redis);
    producer = new SwitchableProducer(
      kafka.createProducer({ sendTimeoutMs: 5_000 }),
      unreachableKafka.createProducer({ sendTimeoutMs: 500 }),
    );
    ingest = new IngestMailUseCase({
      producer,
      storage: new LocalDiskStorage(storageDir),
      threadIndex: new RedisThreadIndex(redis),
      signer: new ThreadSigner('integration-test-secret-0123456789'),
      authenticator: new MailauthAuthenticator(stubResolver({}), 'test-mx'),
      limits: { ...DEFAULT_PARSE_LIMITS, maxAttachmentBytes: 1024 * 1024, maxBodyChars: 100_000 },
      inboundTopic,
    });
    consumer = kafka.createConsumer({
      groupId: `${context.topicPrefix}reader`,
      topics: [inboundTopic],
      fromBeginning: true,
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 500,
      handler: (message) => {
        received.push(decodeEnvelope('inbound message', inboundMessageSchema, message.value));
        return Promise.resolve();
      },
    });
    await consumer.start();
  }, 60_000);

  afterEach(async () => {
    await Promise.all(pollers.splice(0).map((poller) => poller.stop()));
    producer.current = producer.up;
  }, 15_000);

  afterAll(async () => {
    await consumer?.stop();
    await producer?.disconnect();
    await unreachableKafka?.close();
    await kafka
      ?.admin()
      .deleteTopics([inboundTopic, `${inboundTopic}.dlq`])
      .catch(() => undefined);
    await kafka?.close();
    redis?.disconnect();
    await imap?.stop();
    rmSync(storageDir, { recursive: true, force: true });
  }, 30_000);

  it('puts appended mail on Kafka in UID order through the SMTP ingest path, then checkpoints and marks it', async () => {
    await imap.createMailbox('order');
    await imap.appendMessage(mailFor('order', 1), 'order');
    await imap.appendMessage(mailFor('order', 2), 'order');
    await imap.appendMessage(
      gmailReply('Any news?', 'order mail 1', {
        messageId: '<order.3@customer.test>',
        inReplyTo: '<order.1@customer.test>',
        references: '<order.1@customer.test>',
      }),
      'order',
    );
    startPoller(account('order'));

    await expectEventually(() => expect(receivedIds('order')).toHaveLength(3));
    expect(receivedIds('order')).toEqual(idsOf('order', [1, 2, 3]));
    const [first, , reply] = received.filter((m) => m.externalMessageId.startsWith('<order.'));
    expect(first).toMatchObject({
      tenantId: context.tenantId,
      channel: 'email',
      text: 'order mail 1',
      metadata: { 'email.source': 'imap' },
    });
    // Threaded like SMTP mail: the reply joins the first mail's thread, its quote stripped.
    expect(reply).toMatchObject({ threadKey: first?.threadKey, text: 'Any news?' });

    const mailbox = await imap.inspectMailbox('order');
    await expectEventually(async () =>
      expect(await checkpoints.get(context.tenantId, 'order')).toEqual({
        uidValidity: mailbox.uidValidity,
        lastUid: 3,
      }),
    );
    expect((await imap.inspectMailbox('order')).seenUids).toEqual([1, 2, 3]);
  }, 30_000);

  it('moves imported mail to the configured folder instead of flagging it', async () => {
    await imap.createMailbox('tomove');
    await imap.createMailbox('imported');
    await imap.appendMessage(mailFor('tomove', 1), 'tomove');
    startPoller(account('tomove', { moveTo: 'imported' }));
    await expectEventually(() => expect(receivedIds('tomove')).toEqual(idsOf('tomove', [1])));
    await expectEventually(async () =>
      expect(await checkpoints.get(context.tenantId, 'tomove')).toMatchObject({ lastUid: 1 }),
    );
    await expectEventually(async () => {
      expect((await imap.inspectMailbox('tomove')).uids).toEqual([]);
      expect((await imap.inspectMailbox('imported')).uids).toHaveLength(1);
    });
  }, 30_000);

  it('delivers a new mail through IDLE without waiting for the poll interval', async () => {
    await imap.createMailbox('idle');
    startPoller(account('idle'));
    // The first pass over the empty mailbox records its UIDVALIDITY; then the poller IDLEs.
    await expectEventually(async () =>
      expect(await checkpoints.get(context.tenantId, 'idle')).toMatchObject({ lastUid: 0 }),
    );
    await imap.appendMessage(mailFor('idle', 1), 'idle');
    await expectEventually(() => expect(receivedIds('idle')).toEqual(idsOf('idle', [1])), {
      timeoutMs: 10_000,
    });
    expect(logLines.some((line) => line.includes('"idle":true'))).toBe(true);
  }, 30_000);

  it('stopped in the middle of a pass and restarted, imports nothing twice and skips nothing', async () => {
    await imap.createMailbox('restart');
    for (const index of [1, 2, 3, 4, 5])
      await imap.appendMessage(mailFor('restart', index), 'restart');
    // The shutdown arrives while mail 2 is being ingested, as a SIGTERM could.
    let stopping: Promise<void> | undefined;
    const firstPoller: ImapAccountPoller = startPoller(account('restart'), {
      execute: async (command) => {
        const outcome = await ingest.execute(command);
        if (command.raw.includes('restart mail 2')) stopping = firstPoller.stop();
        return outcome;
      },
    });
    await expectEventually(() => expect(stopping).toBeDefined());
    await stopping;
    expect(await checkpoints.get(context.tenantId, 'restart')).toMatchObject({ lastUid: 2 });

    // Mail delivered while the poller is down.
    await imap.appendMessage(mailFor('restart', 6), 'restart');
    await imap.appendMessage(mailFor('restart', 7), 'restart');
    startPoller(account('restart'));
    await expectEventually(async () =>
      expect(await checkpoints.get(context.tenantId, 'restart')).toMatchObject({ lastUid: 7 }),
    );
    // One partition, read in order: once mail 7 is read, any duplicate would have been read too.
    await expectEventually(() => expect(receivedIds('restart')).toHaveLength(7));
    expect(receivedIds('restart')).toEqual(idsOf('restart', [1, 2, 3, 4, 5, 6, 7]));
  }, 30_000);

  it('re-scans a recreated mailbox (new UIDVALIDITY) without loss; re-imported mail keeps its ids', async () => {
    await imap.createMailbox('renumbered');
    await imap.appendMessage(mailFor('renumbered', 1), 'renumbered');
    await imap.appendMessage(mailFor('renumbered', 2), 'renumbered');
    startPoller(account('renumbered', { pollIntervalSeconds: 1 }));
    await expectEventually(() => expect(receivedIds('renumbered')).toHaveLength(2));
    const before = await checkpoints.get(context.tenantId, 'renumbered');

    // Recreated under the running poller: the server drops the session, the poller reconnects.
    await imap.recreateMailbox('renumbered');
    await imap.appendMessage(mailFor('renumbered', 1), 'renumbered');
    await imap.appendMessage(mailFor('renumbered', 3), 'renumbered');
    const recreated = await imap.inspectMailbox('renumbered');
    expect(recreated.uidValidity).not.toEqual(before?.uidValidity);

    await expectEventually(async () =>
      expect(await checkpoints.get(context.tenantId, 'renumbered')).toEqual({
        uidValidity: recreated.uidValidity,
        lastUid: 2,
      }),
    );
    await expectEventually(() =>
      expect(receivedIds('renumbered')).toEqual(idsOf('renumbered', [1, 2, 1, 3])),
    );
    const copies = received.filter((m) => m.externalMessageId === '<renumbered.1@customer.test>');
    expect(new Set(copies.map((m) => m.messageId)).size).toBe(1);
    expect(new Set(copies.map((m) => m.threadKey)).size).toBe(1);
  }, 30_000);

  it('checkpoints nothing while Kafka is down, and imports the mail once Kafka is back', async () => {
    await imap.createMailbox('outage');
    await imap.appendMessage(mailFor('outage', 1), 'outage');
    producer.current = producer.down;
    const failuresBefore = logLines.filter((line) => line.includes('IMAP import failed')).length;
    startPoller(account('outage'));

    await expectEventually(
      () =>
        expect(
          logLines.filter((line) => line.includes('IMAP import failed')).length,
        ).toBeGreaterThan(failuresBefore + 1),
      { timeoutMs: 10_000 },
    );
    expect(await checkpoints.get(context.tenantId, 'outage')).toBeUndefined();
    expect((await imap.inspectMailbox('outage')).seenUids).toEqual([]);
    expect(receivedIds('outage')).toEqual([]);

    producer.current = producer.up;
    await expectEventually(() => expect(receivedIds('outage')).toEqual(idsOf('outage', [1])), {
      timeoutMs: 10_000,
    });
    await expectEventually(async () =>
      expect(await checkpoints.get(context.tenantId, 'outage')).toMatchObject({ lastUid: 1 }),
    );
  }, 30_000);

  it('retries a refused login with a clear log line that never contains the password', async () => {
    await imap.createMailbox('badlogin');
    const wrongPassword = 'wrong-password-must-not-be-logged';
    startPoller(account('badlogin', { password: new RedactedSecret(wrongPassword) }));
    const failure = await expectEventually(() => {
      const line = logLines.find(
        (entry) => entry.includes('IMAP import failed') && entry.includes('"badlogin"'),
      );
      if (line === undefined) throw new Error('no failure logged yet');
      return JSON.parse(line) as { err: { authenticationFailed?: boolean } };
    });
    expect(failure.err.authenticationFailed).toBe(true);
    expect(logLines.join('')).not.toContain(wrongPassword);
    expect(logLines.join('')).not.toContain(imap.password);
  }, 30_000);

  it('falls back to polling on a server without IDLE', async () => {
    const withoutIdle = await startImapServerStandIn({ advertiseIdle: false });
    try {
      await withoutIdle.createMailbox('noidle');
      startPoller({
        ...account('noidle', { pollIntervalSeconds: 1 }),
        port: withoutIdle.port,
      });
      await expectEventually(async () =>
        expect(await checkpoints.get(context.tenantId, 'noidle')).toMatchObject({ lastUid: 0 }),
      );
      await withoutIdle.appendMessage(mailFor('noidle', 1), 'noidle');
      await expectEventually(() => expect(receivedIds('noidle')).toEqual(idsOf('noidle', [1])), {
        timeoutMs: 10_000,
      });
      expect(
        logLines.some((line) => line.includes('"noidle"') && line.includes('"idle":false')),
      ).toBe(true);
    } finally {
      await Promise.all(pollers.splice(0).map((poller) => poller.stop()));
      await withoutIdle.stop();
    }
  }, 30_000);
});
