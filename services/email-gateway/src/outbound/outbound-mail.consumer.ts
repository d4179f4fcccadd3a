import {
  decodeEnvelope,
  deadLetterTopicOf,
  EnvelopeValidationError,
  outboundMessageSchema,
  Topics,
} from '@switchboard/events';
import {
  DEAD_LETTER_HEADERS,
  type IncomingMessage,
  type KafkaClient,
  type MessageConsumer,
  type MessageHandler,
  type MessageProducer,
} from '@switchboard/kafka';
import type { Logger } from 'pino';
import type { SendOutboundMailUseCase } from './send-outbound-mail.usecase';

export interface OutboundMailConsumerOptions {
  groupId: string;
  outboundTopic?: string;
  /** Relay attempts of the use case; the consumer allows a few more for Kafka/Redis hiccups. */
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxDelayMs: number;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
}

/**
 * The Kafka side of outbound mail: decodes each OutboundMessage, acknowledges other channels
 * without acting, and hands email to the use case. What can never succeed (an invalid envelope,
 * a 5xx, retries used up) is dead-lettered at once with its reason instead of being retried;
 * a deferral or an unavailable dependency throws, so the consumer retries with backoff.
 */
export function outboundMailHandler(
  sendMail: SendOutboundMailUseCase,
  deadLetters: MessageProducer,
  outboundTopic: string,
  logger: Logger,
): MessageHandler {
  return async (record) => {
    let message;
    try {
      message = decodeEnvelope('outbound message', outboundMessageSchema, record.value);
    } catch (error) {
      if (!(error instanceof EnvelopeValidationError)) throw error;
      await deadLetter(deadLetters, outboundTopic, record, error.message, error.name);
      logger.warn({ offset: record.offset, reason: error.message }, 'invalid outbound envelope');
      return;
    }
    if (message.channel !== 'email') return; // another gateway's message
    const outcome = await sendMail.execute(message);
    if (outcome.kind === 'failed') {
      await deadLetter(deadLetters, outboundTopic, record, outcome.reason, 'RelayDeliveryError');
      logger.warn(
        { tenantId: message.tenantId, messageId: message.messageId, reason: outcome.reason },
        'outbound mail failed',
      );
    }
  };
}

async function deadLetter(
  producer: MessageProducer,
  topic: string,
  record: IncomingMessage,
  reason: string,
  errorType: string,
): Promise<void> {
  await producer.send(deadLetterTopicOf(topic), [
    {
      key: record.key ?? '',
      value: record.value ?? '',
      headers: {
        ...record.headers,
        [DEAD_LETTER_HEADERS.reason]: reason,
        [DEAD_LETTER_HEADERS.errorType]: errorType,
        [DEAD_LETTER_HEADERS.originalTopic]: record.topic,
        [DEAD_LETTER_HEADERS.originalPartition]: String(record.partition),
        [DEAD_LETTER_HEADERS.originalOffset]: record.offset,
        [DEAD_LETTER_HEADERS.failedAt]: new Date().toISOString(),
      },
    },
  ]);
}

export function createOutboundMailConsumer(
  kafka: KafkaClient,
  handler: MessageHandler,
  options: OutboundMailConsumerOptions,
): MessageConsumer {
  return kafka.createConsumer({
    groupId: options.groupId,
    topics: [options.outboundTopic ?? Topics.outboundMessages],
    handler,
    // The use case decides when relay retries are used up; the extra attempts only cover a
    // dependency (Kafka, Redis) failing around it, after which the consumer dead-letters.
    maxAttempts: options.maxAttempts + 2,
    retryBackoffMs: options.retryBaseMs,
    maxRetryBackoffMs: options.retryMaxDelayMs,
    // Replies written while the gateway was down or unconfigured are still sent.
    fromBeginning: true,
    ...(options.sessionTimeoutMs !== undefined
      ? { sessionTimeoutMs: options.sessionTimeoutMs }
      : {}),
    ...(options.heartbeatIntervalMs !== undefined
      ? { heartbeatIntervalMs: options.heartbeatIntervalMs }
      : {}),
  });
}
