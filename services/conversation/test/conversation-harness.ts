import { deadLetterTopicOf, encodeEnvelope, type InboundMessage } from '@switchboard/events';
import { createKafkaClient, type IncomingMessage, type KafkaClient } from '@switchboard/kafka';
import { openMongoConnection } from '@switchboard/mongo';
import type { TestContext } from '@switchboard/testing';
import type { Connection } from 'mongoose';
import { createServer } from 'node:net';
import {
  type ConversationCoreDependencies,
  createConversationCore,
  type ConversationCore,
} from '../src/conversations/conversation-core';
import type { ConversationTopics } from '../src/conversations/conversation-topics';
import { ensureConversationIndexes } from '../src/persistence/conversation.schemas';
import type { Clock } from '../src/shared/clock';

/** Test-only: the real Mongo and Kafka of the local stack, with this suite's own names. */
export interface ConversationHarness {
  connection: Connection;
  kafka: KafkaClient;
  topics: ConversationTopics;
  close(): Promise<void>;
  core(overrides?: Partial<ConversationCoreDependencies>): Promise<ConversationCore>;
  /** Reads a topic from the beginning with a fresh group, collecting what arrives. */
  collect(topic: string): Promise<IncomingMessage[]>;
}

export async function openConversationHarness(context: TestContext): Promise<ConversationHarness> {
  const connection = openMongoConnection({
    uri: context.stack.mongodbUri,
    database: context.database,
  });
  await connection.asPromise();
  const kafka = createKafkaClient({
    brokers: context.stack.kafkaBrokers.split(','),
    clientId: `test-${context.suite}`,
  });
  const topics: ConversationTopics = {
    inboundMessages: context.topic('inbound'),
    conversationEvents: context.topic('conversation-events'),
    outboundMessages: context.topic('outbound'),
  };
  const names = topicNamesWithDeadLetters(topics);
  await kafka.admin().ensureTopics(names.map((name) => ({ name, partitions: 2 })));
  const cores: ConversationCore[] = [];
  return {
    connection,
    kafka,
    topics,
    async core(overrides = {}) {
      const clock: Clock = { now: () => new Date() };
      const core = createConversationCore({ connection, kafka, topics, clock, ...overrides });
      await ensureConversationIndexes(core.models);
      cores.push(core);
      return core;
    },
    async collect(topic) {
      const received: IncomingMessage[] = [];
      const consumer = kafka.createConsumer({
        groupId: `${context.topicPrefix}collector-${received.length}-${Math.random()}`,
        topics: [topic],
        handler: async (message) => {
          received.push(message);
        },
        fromBeginning: true,
        sessionTimeoutMs: 6_000,
        heartbeatIntervalMs: 500,
        maxWaitTimeMs: 300,
      });
      await consumer.start();
      return received;
    },
    async close() {
      await Promise.all(cores.map((core) => core.producer.disconnect()));
      await kafka
        .admin()
        .deleteTopics(names)
        .catch(() => undefined);
      await kafka.close();
      await connection.dropDatabase();
      await connection.close();
    },
  };
}

/** The suite's topics and their dead-letter topics. */
export function topicNamesWithDeadLetters(topics: ConversationTopics): string[] {
  const names: string[] = [
    topics.inboundMessages,
    topics.conversationEvents,
    topics.outboundMessages,
  ];
  return names.flatMap((name) => [name, deadLetterTopicOf(name)]);
}

/** A port nobody listens on right now (the OS picks it). */
export async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return address.port;
}

let counter = 0;

export function inboundMessage(
  tenantId: string,
  overrides: Partial<InboundMessage> = {},
): InboundMessage {
  counter += 1;
  return {
    schemaVersion: 1,
    tenantId,
    messageId: `gw-${counter}-${Date.now()}`,
    channel: 'email',
    externalMessageId: `<m${counter}-${Date.now()}@mail.example>`,
    threadKey: `<root-${counter}-${Date.now()}@mail.example>`,
    sender: { kind: 'email', value: 'ada@example.com', displayName: 'Ada', verified: true },
    subject: 'Order 1234',
    text: 'Where is my parcel?',
    attachments: [],
    authenticity: {},
    flags: { autoReply: false, bounce: false, bulk: false, ownMessageEcho: false },
    inReplyTo: [],
    receivedAt: new Date().toISOString(),
    metadata: {},
    ...overrides,
  };
}

export const encode = (message: InboundMessage): string => encodeEnvelope(message);
