import type { Registry } from 'prom-client';

/**
 * The slice of a pino logger this library needs, so services can pass their own logger without
 * this library depending on pino.
 */
export interface KafkaLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface KafkaClientSettings {
  brokers: string[];
  clientId: string;
  /** Receives every log line of the underlying client; without one, nothing is logged. */
  logger?: KafkaLogger;
  /** When given, producer and consumer metrics are registered here (reused if already present). */
  metrics?: Registry;
  /** TCP connect timeout per broker connection attempt. Default 3000 ms. */
  connectionTimeoutMs?: number;
  /** Timeout of a single request to a broker. Default 30000 ms. */
  requestTimeoutMs?: number;
}

export interface OutgoingMessage {
  /** Partition key: every message with the same key lands on the same partition, in order. */
  key: string;
  value: string | Buffer;
  headers?: Record<string, string>;
}

export interface ProducerOptions {
  /**
   * Upper bound for one `send()` (queueing, connecting, retries and acknowledgement together).
   * When it passes, `send()` rejects with `KafkaUnavailableError` so callers can refuse
   * temporarily (SMTP 451, HTTP 503) instead of hanging. Default 5000 ms.
   */
  sendTimeoutMs?: number;
}

export interface MessageProducer {
  /**
   * Connects eagerly; rejects with `KafkaUnavailableError` within `sendTimeoutMs` when no broker
   * answers. Optional: `send()` connects on demand.
   */
  connect(): Promise<void>;
  /**
   * Produces the messages idempotently with acks from all in-sync replicas. Resolves once Kafka
   * has acknowledged every message; messages with the same key keep their relative order.
   * Rejects with `KafkaUnavailableError` (retry later) or `KafkaRejectedError` (Kafka refused the
   * messages themselves, e.g. too large).
   */
  send(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
  /** Waits for queued sends to settle, then closes the connection. The producer cannot be reused. */
  disconnect(): Promise<void>;
  /** True while a broker connection is established and the last send did not fail. */
  isConnected(): boolean;
}

export interface IncomingMessage {
  topic: string;
  partition: number;
  /** Int64 offset as a decimal string (may exceed Number.MAX_SAFE_INTEGER). */
  offset: string;
  key: string | null;
  value: Buffer | null;
  /** Header values decoded as UTF-8; when a header repeats, the last value wins. */
  headers: Record<string, string>;
  /** Record timestamp, epoch milliseconds. */
  timestamp: number;
}

export type MessageHandler = (message: IncomingMessage) => Promise<void>;

export interface ConsumerOptions {
  groupId: string;
  topics: string[];
  handler: MessageHandler;
  /** Handler attempts per message before it is dead-lettered. Default 3. */
  maxAttempts?: number;
  /** Delay before the first retry; doubles with each further retry. Default 200 ms. */
  retryBackoffMs?: number;
  /** Cap for the retry delay. Default 5000 ms. */
  maxRetryBackoffMs?: number;
  /** Dead-letter topic for a source topic. Default `${topic}.dlq`. The topic must exist. */
  deadLetterTopic?: (topic: string) => string;
  /** Where a group without committed offsets starts. Default false (only new messages). */
  fromBeginning?: boolean;
  /** Default 30000 ms; the broker enforces at least group.min.session.timeout.ms (6000). */
  sessionTimeoutMs?: number;
  /** Default 3000 ms; must be well below the session timeout. */
  heartbeatIntervalMs?: number;
  /** Partitions handled in parallel; messages of one partition are always handled one by one. Default 1. */
  partitionsConsumedConcurrently?: number;
  /**
   * Longest time a fetch waits for new messages. Heartbeats, rebalances and stop() wait for it,
   * so it is kept short. Default 1000 ms.
   */
  maxWaitTimeMs?: number;
  /** How long start() waits to join the group before giving up. Default 30000 ms. */
  startTimeoutMs?: number;
}

export interface MessageConsumer {
  /** Connects, subscribes and resolves once this member has joined the consumer group. */
  start(): Promise<void>;
  /**
   * Graceful drain: stops fetching, lets the in-flight message finish (a pending retry is
   * abandoned and redelivered later), commits handled offsets, leaves the group, disconnects.
   */
  stop(): Promise<void>;
  /** True while this member is in the group and has not crashed or stopped. */
  isConnected(): boolean;
  /** Partitions assigned to this member at its latest group join, by topic. */
  assignedPartitions(): Record<string, number[]>;
}

export interface TopicSpec {
  name: string;
  partitions: number;
  /** Default 1 (the local single-node broker); production passes its own. */
  replicationFactor?: number;
  /** Topic configs, e.g. `{ 'retention.ms': '604800000' }`. */
  configs?: Record<string, string>;
}

export interface TopicAdmin {
  /**
   * Creates the topics that do not exist yet (existing ones are left as they are) and waits until
   * every partition of every listed topic has a leader. Default timeout 30000 ms.
   */
  ensureTopics(topics: readonly TopicSpec[], options?: { timeoutMs?: number }): Promise<void>;
  deleteTopics(names: readonly string[]): Promise<void>;
  /** Ids of the consumer groups the cluster knows, with or without members. */
  listConsumerGroups(): Promise<string[]>;
  /**
   * Deletes consumer groups and their committed offsets; ids the cluster does not know are
   * ignored. A group that still has members is refused (KafkaRejectedError): stop its consumers
   * first.
   */
  deleteConsumerGroups(groupIds: readonly string[]): Promise<void>;
  /** For readiness probes: true when the cluster answered a metadata request in time. Default 2000 ms. */
  ping(timeoutMs?: number): Promise<boolean>;
  disconnect(): Promise<void>;
}

export interface KafkaComponentHealth {
  kind: 'producer' | 'consumer';
  /** Client id for producers, group id for consumers. */
  name: string;
  connected: boolean;
}

export interface KafkaHealth {
  /** True when every open producer and started consumer is connected (vacuously true for none). */
  connected: boolean;
  components: KafkaComponentHealth[];
}

export interface KafkaClient {
  createProducer(options?: ProducerOptions): MessageProducer;
  createConsumer(options: ConsumerOptions): MessageConsumer;
  /** The client's topic admin; created on first use, closed by `close()`. */
  admin(): TopicAdmin;
  /** Connection state of the producers and consumers created by this client, for /health/ready. */
  health(): KafkaHealth;
  /** Stops every consumer, disconnects every producer and the admin created by this client. */
  close(): Promise<void>;
}
