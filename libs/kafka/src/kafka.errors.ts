/** Base class of every error this library throws, so callers can tell Kafka failures apart. */
export class KafkaError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * Kafka could not be reached or did not acknowledge in time. Transient: the caller should refuse
 * temporarily (SMTP 451, HTTP 503) so the sender retries later.
 */
export class KafkaUnavailableError extends KafkaError {}

/**
 * Kafka answered but refused the request itself (message too large, invalid topic or topic
 * config, not authorised). Retrying the same request will not help.
 */
export class KafkaRejectedError extends KafkaError {}

/** The producer or consumer was used after it was closed: a programming error. */
export class KafkaClosedError extends KafkaError {}

/**
 * How a failed produce should be treated:
 * - `unavailable`: connection, timeout or leadership trouble; retry later.
 * - `producer-state`: the broker rejected this producer's idempotence state (sequence numbers,
 *   producer id or epoch). A fresh producer fixes it, so it is retried once right away.
 * - `rejected`: the request itself is invalid; retrying cannot succeed.
 */
export type ProduceFailureKind = 'unavailable' | 'producer-state' | 'rejected';

/** Broker error codes that invalidate the idempotent producer's state rather than the messages. */
const PRODUCER_STATE_ERROR_TYPES = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'DUPLICATE_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
]);

interface ErrorShape {
  name?: unknown;
  type?: unknown;
  retriable?: unknown;
  cause?: unknown;
}

function asErrorShape(error: unknown): ErrorShape | undefined {
  return typeof error === 'object' && error !== null ? error : undefined;
}

/** kafkajs wraps the broker's error in retry errors; the innermost cause says what happened. */
export function innermostCause(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 10; depth += 1) {
    const cause = asErrorShape(current)?.cause;
    if (cause === undefined || cause === current) {
      return current;
    }
    current = cause;
  }
  return current;
}

/** Classifies a kafkajs produce failure by error names and broker error types only (no I/O). */
export function classifyProduceFailure(error: unknown): ProduceFailureKind {
  const root = asErrorShape(innermostCause(error));
  if (root === undefined) {
    return 'unavailable';
  }
  if (typeof root.type === 'string' && PRODUCER_STATE_ERROR_TYPES.has(root.type)) {
    return 'producer-state';
  }
  // A broker answer that kafkajs itself marks non-retriable is about the request, not the
  // connection (MESSAGE_TOO_LARGE, INVALID_RECORD, TOPIC_AUTHORIZATION_FAILED, ...).
  if (root.name === 'KafkaJSProtocolError' && root.retriable === false) {
    return 'rejected';
  }
  // kafkajs's argument validation (invalid topic, message without value) throws a bare
  // non-retriable error; when it wraps a broker answer, the cause chain was followed above.
  if (root.name === 'KafkaJSNonRetriableError') {
    return 'rejected';
  }
  // Programming errors never come from the network.
  if (root.name === 'TypeError' || root.name === 'RangeError' || root.name === 'KafkaClosedError') {
    return 'rejected';
  }
  return 'unavailable';
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    return error.message;
  }
  return String(error);
}
