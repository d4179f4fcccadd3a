/**
 * Email gateway throughput on the local stack: sustained inbound SMTP messages/s into Kafka
 * (realistic ~6 KB and ~60 KB mails over a few parallel connections, 250 only after Kafka
 * acknowledged), and MIME parse MB/s. Prints a table, then one JSON line with the figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafkaClient } from '@switchboard/kafka';
import { openRedisConnection } from '@switchboard/redis';
import { createTransport } from 'nodemailer';
import pino from 'pino';
import {
  MailauthAuthenticator,
  stubResolver,
} from '../services/email-gateway/src/authenticity/mail-authenticator';
import { IngestMailUseCase } from '../services/email-gateway/src/inbound/ingest-mail.usecase';
import {
  DEFAULT_PARSE_LIMITS,
  parseMail,
} from '../services/email-gateway/src/inbound/parsing/parse-mail';
import { LocalDiskStorage } from '../services/email-gateway/src/storage/blob-storage';
import { TenantDirectory } from '../services/email-gateway/src/tenants/tenant-directory';
import {
  gmailReply,
  mailWithAttachment,
} from '../services/email-gateway/src/testing/mail-fixtures';
import { RedisThreadIndex } from '../services/email-gateway/src/threading/thread-index';
import { ThreadSigner } from '../services/email-gateway/src/threading/thread-signer';
import { SmtpInboundServer } from '../services/email-gateway/src/transport/smtp-inbound.server';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 600);
const CONNECTIONS = 4;
const run = `bench-${Date.now().toString(36)}`;

function realisticMail(index: number): Buffer {
  const quoted = 'Thanks for your order. '.repeat(120);
  if (index % 10 === 0) {
    return mailWithAttachment('invoice.pdf', Buffer.alloc(45 * 1024, index % 256), {
      messageId: `<${run}.${index}@customer.test>`,
    });
  }
  return gmailReply(`Where is my parcel? (${index})`, quoted, {
    messageId: `<${run}.${index}@customer.test>`,
  });
}

async function main(): Promise<void> {
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
  const kafka = createKafkaClient({ brokers, clientId: 'email-bench' });
  const topic = `bench.${run}.inbound`;
  await kafka.admin().ensureTopics([
    { name: topic, partitions: 6 },
    { name: `${topic}.dlq`, partitions: 1 },
  ]);
  const redis = openRedisConnection({
    url: process.env.REDIS_URL ?? 'redis://127.0.0.1:16379',
    keyPrefix: `${run}:`,
  });
  const storageDir = mkdtempSync(join(tmpdir(), 'email-bench-'));
  const server = new SmtpInboundServer(
    { port: 0, host: '127.0.0.1', maxMessageBytes: 25 * 1024 * 1024 },
    new TenantDirectory([{ id: 'bench', addresses: ['support@acme.test'], domains: [] }]),
    new IngestMailUseCase({
      producer: kafka.createProducer(),
      storage: new LocalDiskStorage(storageDir),
      threadIndex: new RedisThreadIndex(redis),
      signer: new ThreadSigner('bench-secret-0123456789abcdef'),
      authenticator: new MailauthAuthenticator(stubResolver({}), 'bench-mx'),
      limits: {
        ...DEFAULT_PARSE_LIMITS,
        maxAttachmentBytes: 10 * 1024 * 1024,
        maxBodyChars: 256 * 1024,
      },
      inboundTopic: topic,
    }),
    pino({ level: 'silent' }),
  );
  const port = await server.listen();
  const mails = Array.from({ length: MESSAGES }, (_, index) => realisticMail(index));
  const totalBytes = mails.reduce((sum, mail) => sum + mail.length, 0);

  const transport = createTransport({
    host: '127.0.0.1',
    port,
    pool: true,
    maxConnections: CONNECTIONS,
    maxMessages: Infinity,
    ignoreTLS: true,
  });
  const smtpStart = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < mails.length) {
        const mail = mails[next++];
        if (mail)
          await transport.sendMail({
            envelope: { from: 'ada@customer.test', to: ['support@acme.test'] },
            raw: mail,
          });
      }
    }),
  );
  const smtpSeconds = Number(process.hrtime.bigint() - smtpStart) / 1e9;
  transport.close();

  const parseRounds = 3;
  const parseStart = process.hrtime.bigint();
  for (let round = 0; round < parseRounds; round += 1)
    for (const mail of mails) await parseMail(mail);
  const parseSeconds = Number(process.hrtime.bigint() - parseStart) / 1e9;

  await server.close();
  await kafka
    .admin()
    .deleteTopics([topic, `${topic}.dlq`])
    .catch(() => undefined);
  await kafka.close();
  redis.disconnect();
  rmSync(storageDir, { recursive: true, force: true });

  const figures = {
    bench: 'email',
    messages: MESSAGES,
    avg_mail_kb: Math.round(totalBytes / MESSAGES / 1024),
    smtp_connections: CONNECTIONS,
    smtp_to_kafka_per_s: Math.round(MESSAGES / smtpSeconds),
    parse_mb_per_s: Number(((totalBytes * parseRounds) / 1e6 / parseSeconds).toFixed(1)),
    parse_per_s: Math.round((MESSAGES * parseRounds) / parseSeconds),
  };
  console.log('email gateway benchmark');
  console.log(
    `  inbound SMTP → Kafka   ${figures.smtp_to_kafka_per_s} messages/s  (${MESSAGES} mails, avg ${figures.avg_mail_kb} KB, ${CONNECTIONS} connections)`,
  );
  console.log(
    `  MIME parse             ${figures.parse_mb_per_s} MB/s  (${figures.parse_per_s} mails/s)`,
  );
  console.log(JSON.stringify(figures));
}

void main();
