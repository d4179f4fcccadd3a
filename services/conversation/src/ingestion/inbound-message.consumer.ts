import { decodeEnvelope, inboundMessageSchema } from '@switchboard/events';
import type { IncomingMessage, KafkaClient, MessageConsumer } from '@switchboard/kafka';
import type { Logger } from 'pino';
import { IngestInboundMessageCommand } from './ingest-inbound-message.command';
import type { IngestInboundMessageUseCase } from './ingest-inbound-message.usecase';

export interface InboundConsumerOptions {
  topic: string;
  groupId: string;
  maxAttempts?: number;
  retryBackoffMs?: number;
  partitionsConsumedConcurrently?: number;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  fromBeginning?: boolean;
  /** Observes how long a message waited in Kafka before it was ingested. */
  onIngested?: (lagMs: number) => void;
}

/**
 * Kafka transport for inbound messages: decode and validate (an invalid envelope fails every
 * attempt and ends in the dead-letter topic with the validation error as its reason), then hand
 * the command to the use case. Offsets are committed only after the use case succeeded.
 */
export class InboundMessageConsumer {
  private consumer: MessageConsumer | undefined;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly ingest: IngestInboundMessageUseCase,
    private readonly options: InboundConsumerOptions,
    private readonly logger: Logger,
  ) {}

  readonly handle = async (message: IncomingMessage): Promise<void> => {
    const envelope = decodeEnvelope('inbound message', inboundMessageSchema, message.value);
    const result = await this.ingest.execute(IngestInboundMessageCommand.fromEnvelope(envelope));
    this.options.onIngested?.(Date.now() - message.timestamp);
    this.logger.debug({ ...result, offset: message.offset }, 'inbound message ingested');
  };

  async start(): Promise<void> {
    this.consumer = this.kafka.createConsumer({
      groupId: this.options.groupId,
      topics: [this.options.topic],
      handler: this.handle,
      maxAttempts: this.options.maxAttempts ?? 5,
      retryBackoffMs: this.options.retryBackoffMs,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 3,
      sessionTimeoutMs: this.options.sessionTimeoutMs,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs,
      fromBeginning: this.options.fromBeginning ?? true,
    });
    await this.consumer.start();
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
  }

  isConnected(): boolean {
    return this.consumer?.isConnected() ?? false;
  }
}
