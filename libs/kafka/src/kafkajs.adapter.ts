/**
 * The only file that knows kafkajs. Everything else, services included, talks to the interfaces in
 * kafka.types.ts, so the client library can be replaced (kafkajs is in maintenance mode) here alone.
 */
import {
  Kafka,
  KafkaJSError,
  Partitioners,
  logLevel as KafkajsLogLevel,
  type Admin,
  type Consumer,
  type EachMessagePayload,
  type IHeaders,
  type KafkaMessage,
  type LogEntry,
  type Message,
  type Producer,
  type RetryOptions,
  type logCreator,
} from 'kafkajs';
import {
  buildDeadLetterHeaders,
  decodeHeaders,
  defaultDeadLetterTopic,
  describeFailureReason,
} from './dead-letter.util';
import {
  BackgroundWork,
  DeadlineExceededError,
  sleepUnlessAborted,
  withDeadline,
} from './deadline.util';
import {
  KafkaClosedError,
  KafkaError,
  KafkaRejectedError,
  KafkaUnavailableError,
  classifyProduceFailure,
  describeError,
  type ProduceFailureKind,
} from './kafka.errors';
import { createKafkaMetrics, type KafkaMetrics } from './kafka-metrics';
import type {
  ConsumerOptions,
  IncomingMessage,
  KafkaClient,
  KafkaClientSettings,
  KafkaComponentHealth,
  KafkaHealth,
  KafkaLogger,
  MessageConsumer,
  MessageProducer,
  OutgoingMessage,
  ProducerOptions,
  TopicAdmin,
  TopicSpec,
} from './kafka.types';
import {
  consumeOutcomeOf,
  handleWithRetries,
  resolveRetryPolicy,
  type HandlingOutcome,
  type RetryPolicy,
} from './retry-policy.util';
import { estimateMessageBytes, takeSendBatch, type QueuedSend } from './send-queue.util';

const DEFAULT_SEND_TIMEOUT_MS = 5_000;
const DEFAULT_CONNECTION_TIMEOUT_MS = 3_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Below the broker's default message.max.bytes (1 MiB) with room for framing. */
const MAX_COALESCED_REQUEST_BYTES = 512 * 1024;

/**
 * Short, bounded retries for producers and for connecting: kafkajs's own defaults retry an
 * idempotent producer forever, but a gateway must answer 451/503 within seconds. Our send deadline
 * cuts in first; these bounds decide how long an abandoned attempt lingers in the background.
 */
const FAIL_FAST_RETRY: RetryOptions = {
  retries: 5,
  initialRetryTime: 100,
  maxRetryTime: 1_000,
  multiplier: 2,
  factor: 0.2,
};
const ADMIN_RETRY: RetryOptions = {
  retries: 3,
  initialRetryTime: 100,
  maxRetryTime: 1_000,
  multiplier: 2,
  factor: 0.2,
};
/** A consumer restarts itself after exhausting these (kafkajs restartOnFailure), so it never gives up. */
const CONSUMER_RETRY: RetryOptions = {
  retries: 5,
  initialRetryTime: 300,
  maxRetryTime: 5_000,
  multiplier: 2,
  factor: 0.2,
};

const silentLogger: KafkaLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
};

/** kafkajs warns about this on every idempotent producer we create; bounded retries are deliberate here. */
const EXPECTED_KAFKAJS_WARNINGS = new Set([
  'Limiting retries for the idempotent producer may invalidate EoS guarantees',
]);

/** Routes kafkajs's log lines to our logger; kafkajs's default would print to the console. */
function logCreatorFor(logger: KafkaLogger): logCreator {
  return () => (entry: LogEntry) => {
    const { message, timestamp: _timestamp, logger: _name, ...fields } = entry.log;
    const context: Record<string, unknown> = {
      ...fields,
      component: 'kafkajs',
      namespace: entry.namespace,
    };
    const text = `kafkajs ${entry.namespace}: ${message}`;
    switch (entry.level) {
      case KafkajsLogLevel.ERROR:
        logger.error(context, text);
        return;
      case KafkajsLogLevel.WARN:
        if (EXPECTED_KAFKAJS_WARNINGS.has(message)) {
          logger.debug(context, text);
        } else {
          logger.warn(context, text);
        }
        return;
      case KafkajsLogLevel.INFO:
        logger.info(context, text);
        return;
      case KafkajsLogLevel.DEBUG:
      case KafkajsLogLevel.NOTHING:
        logger.debug(context, text);
        return;
    }
  };
}

function millisecondsLeft(deadline: number): number {
  return Math.max(0, deadline - Date.now());
}

export function createKafkaClient(settings: KafkaClientSettings): KafkaClient {
  return new KafkajsClient(settings);
}

/** Builds a kafkajs instance per component so each gets the retry policy that suits it. */
type KafkaFactory = (retry: RetryOptions) => Kafka;

class KafkajsClient implements KafkaClient {
  private readonly producers = new Set<KafkajsMessageProducer>();
  private readonly consumers = new Set<KafkajsMessageConsumer>();
  private topicAdmin: KafkajsTopicAdmin | undefined;
  private readonly metrics: KafkaMetrics;
  private readonly logger: KafkaLogger;
  private readonly kafkaWith: KafkaFactory;

  constructor(private readonly settings: KafkaClientSettings) {
    if (settings.brokers.length === 0) {
      throw new RangeError('createKafkaClient needs at least one broker address');
    }
    this.logger = settings.logger ?? silentLogger;
    this.metrics = createKafkaMetrics(settings.metrics);
    const logOptions = settings.logger
      ? { logLevel: KafkajsLogLevel.INFO, logCreator: logCreatorFor(settings.logger) }
      : { logLevel: KafkajsLogLevel.NOTHING, logCreator: logCreatorFor(silentLogger) };
    this.kafkaWith = (retry) =>
      new Kafka({
        clientId: settings.clientId,
        brokers: settings.brokers,
        connectionTimeout: settings.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
        requestTimeout: settings.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
        retry,
        ...logOptions,
      });
  }

  createProducer(options: ProducerOptions = {}): MessageProducer {
    const sendTimeoutMs = options.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
    if (!(sendTimeoutMs > 0)) {
      throw new RangeError(`sendTimeoutMs must be > 0, got ${sendTimeoutMs}`);
    }
    const producer: KafkajsMessageProducer = new KafkajsMessageProducer({
      kafka: this.kafkaWith(FAIL_FAST_RETRY),
      metrics: this.metrics,
      sendTimeoutMs,
      onClosed: () => this.producers.delete(producer),
    });
    this.producers.add(producer);
    return producer;
  }

  createConsumer(options: ConsumerOptions): MessageConsumer {
    const consumer: KafkajsMessageConsumer = new KafkajsMessageConsumer({
      // Connection attempts fail fast; CONSUMER_RETRY then governs fetching and restarts.
      kafka: this.kafkaWith(FAIL_FAST_RETRY),
      deadLetterProducer: new KafkajsMessageProducer({
        kafka: this.kafkaWith(FAIL_FAST_RETRY),
        metrics: this.metrics,
        sendTimeoutMs: DEFAULT_SEND_TIMEOUT_MS,
        onClosed: () => undefined,
      }),
      metrics: this.metrics,
      logger: this.logger,
      options,
      onClosed: () => this.consumers.delete(consumer),
    });
    this.consumers.add(consumer);
    return consumer;
  }

  admin(): TopicAdmin {
    this.topicAdmin ??= new KafkajsTopicAdmin(this.kafkaWith(ADMIN_RETRY), this.logger);
    return this.topicAdmin;
  }

  health(): KafkaHealth {
    const components: KafkaComponentHealth[] = [
      ...[...this.producers].map((producer): KafkaComponentHealth => ({
        kind: 'producer',
        name: this.settings.clientId,
        connected: producer.isConnected(),
      })),
      ...[...this.consumers]
        .filter((consumer) => consumer.wasStarted())
        .map((consumer): KafkaComponentHealth => ({
          kind: 'consumer',
          name: consumer.groupId,
          connected: consumer.isConnected(),
        })),
    ];
    return { connected: components.every((component) => component.connected), components };
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((consumer) => consumer.stop()));
    await Promise.all([...this.producers].map((producer) => producer.disconnect()));
    await this.topicAdmin?.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// Producer

interface PendingSend extends QueuedSend {
  topic: string;
  messages: Message[];
  retriedWithFreshProducer: boolean;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** One kafkajs producer and its connection; replaced by a fresh one after any failed request. */
interface ProducerSession {
  producer: Producer;
  ready: Promise<void>;
  connected: boolean;
  retired: boolean;
}

function failureKindOf(error: unknown): ProduceFailureKind {
  if (error instanceof KafkaRejectedError || error instanceof KafkaClosedError) {
    return 'rejected';
  }
  if (error instanceof KafkaError || error instanceof DeadlineExceededError) {
    return 'unavailable';
  }
  return classifyProduceFailure(error);
}

class KafkajsMessageProducer implements MessageProducer {
  private session: ProducerSession | undefined;
  private queue: PendingSend[] = [];
  private draining: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private readonly background = new BackgroundWork();

  constructor(
    private readonly deps: {
      kafka: Kafka;
      metrics: KafkaMetrics;
      sendTimeoutMs: number;
      onClosed: () => void;
    },
  ) {}

  async connect(): Promise<void> {
    if (this.closing) {
      throw new KafkaClosedError('producer is disconnected');
    }
    await this.openSession(Date.now() + this.deps.sendTimeoutMs);
  }

  send(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    return this.sendRecords(
      topic,
      messages.map(({ key, value, headers }) => ({ key, value, headers })),
    );
  }

  /** Like send(), for records passed on verbatim (null keys and values, raw headers): dead-lettering. */
  sendRecords(topic: string, messages: Message[]): Promise<void> {
    if (this.closing) {
      return Promise.reject(new KafkaClosedError('producer is disconnected'));
    }
    if (typeof topic !== 'string' || topic.length === 0) {
      return Promise.reject(new KafkaRejectedError(`invalid topic name ${JSON.stringify(topic)}`));
    }
    if (messages.length === 0) {
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({
        topic,
        messages,
        deadline: Date.now() + this.deps.sendTimeoutMs,
        sizeBytes: messages.reduce(
          (total, message) =>
            total +
            estimateMessageBytes({
              key: message.key ?? null,
              value: message.value,
              headers: message.headers,
            }),
          0,
        ),
        sendAlone: false,
        retriedWithFreshProducer: false,
        resolve,
        reject,
      });
      this.startDraining();
    });
  }

  isConnected(): boolean {
    return this.closing === undefined && this.session?.connected === true;
  }

  disconnect(): Promise<void> {
    this.closing ??= this.close();
    return this.closing;
  }

  private async close(): Promise<void> {
    // Sends already accepted settle first; each is bounded by its own deadline.
    while (this.draining) {
      await this.draining;
    }
    if (this.session) {
      this.retire(this.session);
    }
    await this.background.settle();
    this.deps.onClosed();
  }

  private startDraining(): void {
    if (this.draining) {
      return;
    }
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.queue.length > 0) {
        this.startDraining();
      }
    });
  }

  /** Never rejects: every failure is delivered to the sends it concerns. */
  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const { expired, batch, remaining } = takeSendBatch(
        this.queue,
        Date.now(),
        MAX_COALESCED_REQUEST_BYTES,
      );
      this.queue = remaining;
      for (const send of expired) {
        send.reject(
          new KafkaUnavailableError(
            `Kafka is unavailable: no acknowledgement for ${send.topic} within ${this.deps.sendTimeoutMs} ms`,
          ),
        );
      }
      if (batch.length > 0) {
        await this.produce(batch);
      }
    }
  }

  private async produce(batch: PendingSend[]): Promise<void> {
    const deadline = Math.min(...batch.map((send) => send.deadline));
    try {
      const session = await this.openSession(deadline);
      const request = session.producer.sendBatch({
        topicMessages: batch.map(({ topic, messages }) => ({ topic, messages })),
        acks: -1,
        timeout: this.deps.sendTimeoutMs,
      });
      try {
        await withDeadline(request, millisecondsLeft(deadline), 'produce');
      } catch (error) {
        this.retire(session, request);
        throw error;
      }
      for (const send of batch) {
        this.deps.metrics.messagesProduced(send.topic, send.messages.length);
        send.resolve();
      }
    } catch (error) {
      this.handleProduceFailure(batch, error);
    }
  }

  private handleProduceFailure(batch: PendingSend[], error: unknown): void {
    const topics = [...new Set(batch.map((send) => send.topic))].join(', ');
    const kind = failureKindOf(error);
    const now = Date.now();
    const retryNow: PendingSend[] = [];
    for (const send of batch) {
      switch (kind) {
        case 'producer-state':
          if (!send.retriedWithFreshProducer && send.deadline > now) {
            send.retriedWithFreshProducer = true;
            retryNow.push(send);
          } else {
            send.reject(this.unavailable(send.topic, error));
          }
          break;
        case 'rejected':
          if (batch.length > 1) {
            send.sendAlone = true;
            retryNow.push(send);
          } else {
            send.reject(
              error instanceof KafkaError
                ? error
                : new KafkaRejectedError(
                    `Kafka refused the messages for ${topics}: ${describeError(error)}`,
                    { cause: error },
                  ),
            );
          }
          break;
        case 'unavailable':
          send.reject(this.unavailable(send.topic, error));
          break;
      }
    }
    this.queue = [...retryNow, ...this.queue];
  }

  private unavailable(topic: string, cause: unknown): KafkaError {
    if (cause instanceof KafkaUnavailableError) {
      return cause;
    }
    return new KafkaUnavailableError(
      `Kafka is unavailable: could not produce to ${topic}: ${describeError(cause)}`,
      { cause },
    );
  }

  private async openSession(deadline: number): Promise<ProducerSession> {
    let session = this.session;
    if (!session) {
      const producer = this.deps.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: FAIL_FAST_RETRY,
      });
      const created: ProducerSession = {
        producer,
        ready: producer.connect(),
        connected: false,
        retired: false,
      };
      // kafkajs emits CONNECT before it has fetched the idempotent producer id, so "connected"
      // waits for connect() to finish; DISCONNECT only fires on an explicit disconnect.
      void created.ready.then(
        () => {
          created.connected = !created.retired;
        },
        () => undefined,
      );
      producer.on(producer.events.DISCONNECT, () => {
        created.connected = false;
      });
      this.session = session = created;
    }
    try {
      await withDeadline(session.ready, millisecondsLeft(deadline), 'connecting to Kafka');
      return session;
    } catch (error) {
      this.retire(session);
      throw new KafkaUnavailableError(`Kafka is unavailable: ${describeError(error)}`, {
        cause: error,
      });
    }
  }

  /**
   * Drops a session after a failure, so the next send starts with a fresh producer id and fresh
   * sequence numbers (kafkajs cannot recover its idempotence state on its own). Whatever the old
   * producer was still doing is awaited in the background and closed.
   */
  private retire(session: ProducerSession, abandoned?: Promise<unknown>): void {
    if (this.session === session) {
      this.session = undefined;
    }
    if (session.retired) {
      return;
    }
    session.retired = true;
    session.connected = false;
    const closeQuietly = (): Promise<void> => session.producer.disconnect().catch(() => undefined);
    this.background.track(
      (async () => {
        // Closing right away cuts hung requests short; kafkajs may reconnect while it retries,
        // so it is closed once more after everything it was doing has settled.
        await closeQuietly();
        await Promise.allSettled([session.ready, abandoned]);
        await closeQuietly();
      })(),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Consumer

/**
 * Thrown from the message callback to abandon a message without committing it (shutdown during a
 * retry backoff, or a failed dead-letter produce). A KafkaJSError, so kafkajs retries it quietly.
 */
class MessageNotSettledError extends KafkaJSError {
  constructor(message: string) {
    super(message, { retriable: true });
  }
}

function toIncomingMessage(
  topic: string,
  partition: number,
  message: KafkaMessage,
): IncomingMessage {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key === null ? null : message.key.toString('utf8'),
    value: message.value,
    headers: decodeHeaders(message.headers),
    timestamp: Number(message.timestamp),
  };
}

type ConsumerState = 'created' | 'starting' | 'running' | 'stopped';

/** Upper bound of a graceful consumer stop; services must exit within their 10 s budget. */
const CONSUMER_STOP_TIMEOUT_MS = 3_000;

class KafkajsMessageConsumer implements MessageConsumer {
  readonly groupId: string;
  private state: ConsumerState = 'created';
  private consumer: Consumer | undefined;
  private startup: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private inGroup = false;
  private assignment: Record<string, number[]> = {};
  private readonly shutdown = new AbortController();
  private readonly retryPolicy: RetryPolicy;
  private readonly deadLetterTopicFor: (topic: string) => string;
  private readonly heartbeatIntervalMs: number;

  constructor(
    private readonly deps: {
      kafka: Kafka;
      deadLetterProducer: KafkajsMessageProducer;
      metrics: KafkaMetrics;
      logger: KafkaLogger;
      options: ConsumerOptions;
      onClosed: () => void;
    },
  ) {
    const { options } = deps;
    if (options.topics.length === 0) {
      throw new RangeError('a consumer needs at least one topic');
    }
    this.groupId = options.groupId;
    this.retryPolicy = resolveRetryPolicy(options);
    this.deadLetterTopicFor = options.deadLetterTopic ?? defaultDeadLetterTopic;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 3_000;
  }

  wasStarted(): boolean {
    return this.state === 'starting' || this.state === 'running';
  }

  isConnected(): boolean {
    return this.state === 'running' && this.inGroup;
  }

  assignedPartitions(): Record<string, number[]> {
    return Object.fromEntries(
      Object.entries(this.assignment).map(([topic, partitions]) => [topic, [...partitions]]),
    );
  }

  async start(): Promise<void> {
    if (this.state !== 'created') {
      throw new KafkaClosedError(`consumer ${this.groupId} can only be started once`);
    }
    this.state = 'starting';
    const { options } = this.deps;
    const startTimeoutMs = options.startTimeoutMs ?? 30_000;
    this.startup = this.joinGroup();
    try {
      await withDeadline(this.startup, startTimeoutMs, `joining consumer group ${this.groupId}`);
      this.state = 'running';
    } catch (error) {
      await this.stop();
      throw error instanceof KafkaError
        ? error
        : new KafkaUnavailableError(
            `consumer ${this.groupId} could not join its group: ${describeError(error)}`,
            { cause: error },
          );
    }
  }

  private async joinGroup(): Promise<void> {
    const { options } = this.deps;
    const consumer = this.deps.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: this.heartbeatIntervalMs,
      maxWaitTimeInMs: options.maxWaitTimeMs ?? 1_000,
      allowAutoTopicCreation: false,
      retry: CONSUMER_RETRY,
    });
    this.consumer = consumer;
    const joined = new Promise<void>((resolve, reject) => {
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        this.inGroup = true;
        this.assignment = payload.memberAssignment;
        resolve();
      });
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        this.inGroup = false;
        this.deps.logger.error(
          { groupId: this.groupId, err: payload.error, restart: payload.restart },
          `consumer ${this.groupId} crashed${payload.restart ? ', restarting' : ''}`,
        );
        if (!payload.restart) {
          reject(payload.error);
        }
      });
      // stop() waits for this start-up, so a stop must end the wait for a join that never comes.
      this.shutdown.signal.addEventListener(
        'abort',
        () => reject(new KafkaClosedError(`consumer ${this.groupId} was stopped while starting`)),
        { once: true },
      );
    });
    // A crash before anyone awaits `joined` must not count as an unhandled rejection.
    joined.catch(() => undefined);
    consumer.on(consumer.events.DISCONNECT, () => {
      this.inGroup = false;
    });
    consumer.on(consumer.events.STOP, () => {
      this.inGroup = false;
    });

    // Each step re-checks for stop(): a start that outlived its deadline must not connect later.
    const abandonIfStopping = (): void => {
      if (this.shutdown.signal.aborted) {
        throw new KafkaClosedError(`consumer ${this.groupId} was stopped while starting`);
      }
    };
    await this.deps.deadLetterProducer.connect();
    abandonIfStopping();
    await consumer.connect();
    abandonIfStopping();
    await consumer.subscribe({
      topics: options.topics,
      fromBeginning: options.fromBeginning ?? false,
    });
    abandonIfStopping();
    await consumer.run({
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
      eachMessage: (payload) => this.consumeMessage(payload),
    });
    await joined;
  }

  stop(): Promise<void> {
    this.stopping ??= withDeadline(
      this.drainAndDisconnect(),
      CONSUMER_STOP_TIMEOUT_MS,
      `stopping consumer ${this.groupId}`,
    ).catch((error: unknown) => {
      // kafkajs can hang in disconnect() while it is restarting a crashed consumer against a
      // broker that just came back. A service must still exit within its shutdown budget: what
      // was not committed is redelivered to the group (at-least-once), nothing is lost.
      this.deps.logger.warn(
        { groupId: this.groupId, err: error },
        `consumer ${this.groupId} did not drain in time; uncommitted messages will be redelivered`,
      );
      this.state = 'stopped';
      this.deps.onClosed();
    });
    return this.stopping;
  }

  private async drainAndDisconnect(): Promise<void> {
    // Wakes a handler waiting to retry: that message is abandoned uncommitted, not dead-lettered.
    this.shutdown.abort();
    if (this.state === 'starting') {
      // Cuts a connect that is still retrying short; the start-up then sees the abort and stops.
      await this.disconnectConsumer();
    }
    await this.startup?.catch(() => undefined);
    // kafkajs stops fetching, waits for the in-flight message, commits resolved offsets, leaves
    // the group and closes its connections.
    await this.disconnectConsumer();
    await this.deps.deadLetterProducer.disconnect();
    this.inGroup = false;
    this.state = 'stopped';
    this.deps.onClosed();
  }

  private async disconnectConsumer(): Promise<void> {
    try {
      await this.consumer?.disconnect();
    } catch (error) {
      this.deps.logger.warn(
        { groupId: this.groupId, err: error },
        `consumer ${this.groupId} did not disconnect cleanly`,
      );
    }
  }

  /**
   * kafkajs commits an offset only after this resolves, so a message is committed once it was
   * handled or dead-lettered, and redelivered when this throws.
   */
  private async consumeMessage(payload: EachMessagePayload): Promise<void> {
    const { topic, partition, message } = payload;
    const incoming = toIncomingMessage(topic, partition, message);
    const { handler } = this.deps.options;
    const outcome = await handleWithRetries(
      async (attempt) => {
        const startedAt = performance.now();
        try {
          await handler(incoming);
        } catch (error) {
          this.deps.logger.warn(
            {
              topic,
              partition,
              offset: message.offset,
              groupId: this.groupId,
              attempt,
              err: error,
            },
            `handler failed (attempt ${attempt}/${this.retryPolicy.maxAttempts})`,
          );
          throw error;
        } finally {
          this.deps.metrics.handlerDuration(
            topic,
            this.groupId,
            (performance.now() - startedAt) / 1_000,
          );
        }
      },
      this.retryPolicy,
      (delayMs) => this.waitBeforeRetry(delayMs, () => payload.heartbeat()),
    );
    if (outcome.kind === 'exhausted') {
      await this.deadLetter(topic, partition, message, outcome);
    }
    this.deps.metrics.messageConsumed(topic, this.groupId, consumeOutcomeOf(outcome));
  }

  /** Sleeps in heartbeat-sized steps so a long backoff does not cost the group membership. */
  private async waitBeforeRetry(delayMs: number, heartbeat: () => Promise<void>): Promise<void> {
    const until = Date.now() + delayMs;
    for (;;) {
      const remaining = until - Date.now();
      if (remaining <= 0) {
        return;
      }
      try {
        await sleepUnlessAborted(
          Math.min(remaining, this.heartbeatIntervalMs),
          this.shutdown.signal,
        );
      } catch {
        throw new MessageNotSettledError(
          `consumer ${this.groupId} is stopping; message left for redelivery`,
        );
      }
      await heartbeat();
    }
  }

  private async deadLetter(
    topic: string,
    partition: number,
    message: KafkaMessage,
    outcome: Extract<HandlingOutcome, { kind: 'exhausted' }>,
  ): Promise<void> {
    const deadLetterTopic = this.deadLetterTopicFor(topic);
    const headers: IHeaders = buildDeadLetterHeaders(message.headers ?? {}, {
      error: outcome.lastError,
      topic,
      partition,
      offset: message.offset,
      groupId: this.groupId,
      attempts: outcome.attempts,
      failedAt: new Date(),
    });
    const context = {
      topic,
      partition,
      offset: message.offset,
      groupId: this.groupId,
      deadLetterTopic,
      attempts: outcome.attempts,
      reason: describeFailureReason(outcome.lastError).reason,
    };
    try {
      await this.deps.deadLetterProducer.sendRecords(deadLetterTopic, [
        { key: message.key, value: message.value, headers },
      ]);
    } catch (error) {
      this.deps.logger.error(
        { ...context, err: error },
        'dead-lettering failed; the message stays uncommitted and will be redelivered',
      );
      throw new MessageNotSettledError(
        `could not dead-letter ${topic}[${partition}]@${message.offset} to ${deadLetterTopic}: ${describeError(error)}`,
      );
    }
    this.deps.logger.warn(context, `message dead-lettered to ${deadLetterTopic}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Topic admin

interface AdminSession {
  admin: Admin;
  ready: Promise<void>;
  retired: boolean;
}

class KafkajsTopicAdmin implements TopicAdmin {
  private session: AdminSession | undefined;
  private closed = false;
  private readonly background = new BackgroundWork();

  constructor(
    private readonly kafka: Kafka,
    private readonly logger: KafkaLogger,
  ) {}

  async ensureTopics(
    topics: readonly TopicSpec[],
    { timeoutMs = 30_000 }: { timeoutMs?: number } = {},
  ): Promise<void> {
    for (const spec of topics) {
      if (!spec.name || !Number.isInteger(spec.partitions) || spec.partitions < 1) {
        throw new RangeError(`invalid topic spec ${JSON.stringify(spec)}`);
      }
    }
    if (topics.length === 0) {
      return;
    }
    const deadline = Date.now() + timeoutMs;
    await this.withAdmin(deadline, 'ensuring topics', async (admin) => {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((spec) => !existing.has(spec.name));
      if (missing.length > 0) {
        // kafkajs treats "already exists" (a concurrent creator) as success.
        await admin.createTopics({
          waitForLeaders: false,
          timeout: millisecondsLeft(deadline),
          topics: missing.map((spec) => ({
            topic: spec.name,
            numPartitions: spec.partitions,
            replicationFactor: spec.replicationFactor ?? 1,
            configEntries: Object.entries(spec.configs ?? {}).map(([name, value]) => ({
              name,
              value,
            })),
          })),
        });
        this.logger.info(
          { topics: missing.map((spec) => spec.name) },
          `created ${missing.length} Kafka topic(s)`,
        );
      }
      await this.waitForLeaders(
        admin,
        topics.map((spec) => spec.name),
        deadline,
      );
    });
  }

  /** Auto-creation is off, so a produce right after creation fails until every partition has a leader. */
  private async waitForLeaders(admin: Admin, names: string[], deadline: number): Promise<void> {
    let lastProblem = 'no metadata yet';
    for (;;) {
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: names });
        const leaderless = names.filter((name) => {
          const metadata = topics.find((topic) => topic.name === name);
          return (
            metadata === undefined ||
            metadata.partitions.length === 0 ||
            metadata.partitions.some((partition) => partition.leader < 0)
          );
        });
        if (leaderless.length === 0) {
          return;
        }
        lastProblem = `no leader yet for ${leaderless.join(', ')}`;
      } catch (error) {
        lastProblem = describeError(error);
      }
      if (Date.now() + 100 > deadline) {
        throw new KafkaUnavailableError(`topics not ready in time: ${lastProblem}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async deleteTopics(names: readonly string[]): Promise<void> {
    if (names.length === 0) {
      return;
    }
    const deadline = Date.now() + 30_000;
    await this.withAdmin(deadline, 'deleting topics', async (admin) => {
      const existing = new Set(await admin.listTopics());
      const present = names.filter((name) => existing.has(name));
      if (present.length > 0) {
        await admin.deleteTopics({ topics: present, timeout: millisecondsLeft(deadline) });
      }
    });
  }

  async listConsumerGroups(): Promise<string[]> {
    return this.withAdmin(Date.now() + 30_000, 'listing consumer groups', async (admin) => {
      const { groups } = await admin.listGroups();
      return groups.map((group) => group.groupId);
    });
  }

  async deleteConsumerGroups(groupIds: readonly string[]): Promise<void> {
    if (groupIds.length === 0) {
      return;
    }
    await this.withAdmin(Date.now() + 30_000, 'deleting consumer groups', async (admin) => {
      const { groups } = await admin.listGroups();
      const known = new Set(groups.map((group) => group.groupId));
      const present = groupIds.filter((groupId) => known.has(groupId));
      if (present.length > 0) {
        await admin.deleteGroups(present).catch((error: unknown) => {
          // Per-group refusals (GROUP_NOT_EMPTY while a member is still in): about the request.
          const refused = (error as { groups?: { groupId: string; error?: { type?: string } }[] })
            .groups;
          if (!refused) throw error;
          const reasons = refused.map((group) => `${group.groupId}: ${group.error?.type ?? '?'}`);
          throw new KafkaRejectedError(`consumer groups not deleted (${reasons.join(', ')})`, {
            cause: error,
          });
        });
      }
    });
  }

  async ping(timeoutMs = 2_000): Promise<boolean> {
    try {
      await this.withAdmin(Date.now() + timeoutMs, 'ping', (admin) => admin.describeCluster());
      return true;
    } catch (error) {
      this.logger.debug({ err: error }, 'Kafka ping failed');
      return false;
    }
  }

  async disconnect(): Promise<void> {
    this.closed = true;
    if (this.session) {
      this.retire(this.session);
    }
    await this.background.settle();
  }

  /** Runs one admin operation within the deadline; on failure the admin connection is renewed. */
  private async withAdmin<T>(
    deadline: number,
    operationName: string,
    operation: (admin: Admin) => Promise<T>,
  ): Promise<T> {
    if (this.closed) {
      throw new KafkaClosedError('topic admin is disconnected');
    }
    if (!this.session) {
      const admin = this.kafka.admin({ retry: ADMIN_RETRY });
      this.session = { admin, ready: admin.connect(), retired: false };
    }
    const session = this.session;
    const work = session.ready.then(() => operation(session.admin));
    try {
      return await withDeadline(work, millisecondsLeft(deadline), operationName);
    } catch (error) {
      this.retire(session, work);
      if (error instanceof KafkaError) {
        throw error;
      }
      const message = `Kafka ${operationName} failed: ${describeError(error)}`;
      throw classifyProduceFailure(error) === 'rejected'
        ? new KafkaRejectedError(message, { cause: error })
        : new KafkaUnavailableError(message, { cause: error });
    }
  }

  private retire(session: AdminSession, abandoned?: Promise<unknown>): void {
    if (this.session === session) {
      this.session = undefined;
    }
    if (session.retired) {
      return;
    }
    session.retired = true;
    const closeQuietly = (): Promise<void> => session.admin.disconnect().catch(() => undefined);
    this.background.track(
      (async () => {
        await closeQuietly();
        await Promise.allSettled([session.ready, abandoned]);
        await closeQuietly();
      })(),
    );
  }
}
