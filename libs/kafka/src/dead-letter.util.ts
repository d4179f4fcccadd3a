import { describeError } from './kafka.errors';

/** Headers added to a dead-lettered message; its original headers are kept beside them. */
export const DEAD_LETTER_HEADERS = {
  reason: 'x-dlq-reason',
  errorType: 'x-dlq-error-type',
  originalTopic: 'x-dlq-original-topic',
  originalPartition: 'x-dlq-original-partition',
  originalOffset: 'x-dlq-original-offset',
  consumerGroup: 'x-dlq-consumer-group',
  attempts: 'x-dlq-attempts',
  failedAt: 'x-dlq-failed-at',
} as const;

/** Long stack-heavy messages would bloat every DLQ record; the first few KB say enough. */
const MAX_REASON_LENGTH = 2_000;

export function defaultDeadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}

export interface DeadLetterFailure {
  error: unknown;
  topic: string;
  partition: number;
  offset: string;
  groupId: string;
  attempts: number;
  failedAt: Date;
}

export function describeFailureReason(error: unknown): { reason: string; errorType: string } {
  const message = describeError(error);
  const reason =
    message.length > MAX_REASON_LENGTH ? `${message.slice(0, MAX_REASON_LENGTH)}…` : message;
  const errorType = error instanceof Error ? error.name : typeof error;
  return { reason, errorType };
}

/**
 * The original headers plus the failure description. Ours win on a name clash, so a message that
 * is dead-lettered again (e.g. by a consumer of the DLQ) describes its latest failure.
 */
export function buildDeadLetterHeaders<HeaderValue>(
  originalHeaders: Readonly<Record<string, HeaderValue>>,
  failure: DeadLetterFailure,
): Record<string, HeaderValue | string> {
  const { reason, errorType } = describeFailureReason(failure.error);
  return {
    ...originalHeaders,
    [DEAD_LETTER_HEADERS.reason]: reason,
    [DEAD_LETTER_HEADERS.errorType]: errorType,
    [DEAD_LETTER_HEADERS.originalTopic]: failure.topic,
    [DEAD_LETTER_HEADERS.originalPartition]: String(failure.partition),
    [DEAD_LETTER_HEADERS.originalOffset]: failure.offset,
    [DEAD_LETTER_HEADERS.consumerGroup]: failure.groupId,
    [DEAD_LETTER_HEADERS.attempts]: String(failure.attempts),
    [DEAD_LETTER_HEADERS.failedAt]: failure.failedAt.toISOString(),
  };
}

type RawHeaderValue = Buffer | string | (Buffer | string)[] | undefined;

/**
 * Decodes Kafka record headers for handlers. Kafka allows a header name to repeat; a plain record
 * keeps the last value, which is what producers that set a header once expect.
 */
export function decodeHeaders(
  rawHeaders: Readonly<Record<string, RawHeaderValue>> | undefined,
): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [name, raw] of Object.entries(rawHeaders ?? {})) {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value !== undefined) {
      decoded[name] = typeof value === 'string' ? value : value.toString('utf8');
    }
  }
  return decoded;
}
