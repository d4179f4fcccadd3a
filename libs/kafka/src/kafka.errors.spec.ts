import {
  KafkaError,
  KafkaUnavailableError,
  classifyProduceFailure,
  innermostCause,
} from './kafka.errors';

/** Shapes of kafkajs errors as they reach the producer (names, broker types, cause chains). */
function kafkajsError(fields: {
  name: string;
  type?: string;
  retriable?: boolean;
  cause?: unknown;
}): Error {
  return Object.assign(new Error(fields.type ?? fields.name), fields);
}

describe('classifyProduceFailure', () => {
  it('treats connection trouble and exhausted retries as unavailability', () => {
    const refused = kafkajsError({ name: 'KafkaJSConnectionError', retriable: true });
    expect(classifyProduceFailure(refused)).toBe('unavailable');
    expect(
      classifyProduceFailure(
        kafkajsError({ name: 'KafkaJSNumberOfRetriesExceeded', retriable: false, cause: refused }),
      ),
    ).toBe('unavailable');
    expect(
      classifyProduceFailure(
        kafkajsError({
          name: 'KafkaJSProtocolError',
          type: 'NOT_LEADER_OR_FOLLOWER',
          retriable: true,
        }),
      ),
    ).toBe('unavailable');
  });

  it('recognises idempotent producer state errors, however deeply wrapped', () => {
    const outOfOrder = kafkajsError({
      name: 'KafkaJSProtocolError',
      type: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
      retriable: false,
    });
    const wrapped = kafkajsError({
      name: 'KafkaJSNonRetriableError',
      retriable: false,
      cause: outOfOrder,
    });
    expect(classifyProduceFailure(wrapped)).toBe('producer-state');
    expect(
      classifyProduceFailure(
        kafkajsError({
          name: 'KafkaJSProtocolError',
          type: 'UNKNOWN_PRODUCER_ID',
          retriable: false,
        }),
      ),
    ).toBe('producer-state');
  });

  it('treats a broker refusal of the request itself as rejected', () => {
    const tooLarge = kafkajsError({
      name: 'KafkaJSProtocolError',
      type: 'MESSAGE_TOO_LARGE',
      retriable: false,
    });
    expect(
      classifyProduceFailure(
        kafkajsError({ name: 'KafkaJSNonRetriableError', retriable: false, cause: tooLarge }),
      ),
    ).toBe('rejected');
    expect(classifyProduceFailure(new TypeError('bad value'))).toBe('rejected');
    expect(
      classifyProduceFailure(
        kafkajsError({ name: 'KafkaJSNonRetriableError', type: 'Invalid topic', retriable: false }),
      ),
    ).toBe('rejected');
  });

  it('defaults to unavailable for unknown failures', () => {
    expect(classifyProduceFailure(new Error('something else'))).toBe('unavailable');
    expect(classifyProduceFailure(undefined)).toBe('unavailable');
  });
});

describe('innermostCause', () => {
  it('follows the cause chain and survives cycles', () => {
    const root = new Error('root');
    const cyclic: Error & { cause?: unknown } = new Error('cyclic');
    cyclic.cause = cyclic;
    expect(innermostCause(new Error('outer', { cause: new Error('mid', { cause: root }) }))).toBe(
      root,
    );
    expect(innermostCause(cyclic)).toBe(cyclic);
  });
});

describe('KafkaUnavailableError', () => {
  it('is a KafkaError named after its class, carrying its cause', () => {
    const cause = new Error('ECONNREFUSED');
    const error = new KafkaUnavailableError('Kafka is unavailable', { cause });
    expect(error).toBeInstanceOf(KafkaError);
    expect(error.name).toBe('KafkaUnavailableError');
    expect(error.cause).toBe(cause);
  });
});
