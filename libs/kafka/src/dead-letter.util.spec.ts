import {
  DEAD_LETTER_HEADERS,
  buildDeadLetterHeaders,
  decodeHeaders,
  defaultDeadLetterTopic,
  describeFailureReason,
} from './dead-letter.util';

describe('defaultDeadLetterTopic', () => {
  it('appends .dlq', () => {
    expect(defaultDeadLetterTopic('inbound.messages')).toBe('inbound.messages.dlq');
  });
});

describe('buildDeadLetterHeaders', () => {
  const failure = {
    error: new TypeError('cannot read tenant'),
    topic: 'inbound',
    partition: 2,
    offset: '41',
    groupId: 'conversation',
    attempts: 3,
    failedAt: new Date('2025-01-02T03:04:05.678Z'),
  };

  it('keeps the original headers and adds the failure description', () => {
    const original = { 'trace-id': Buffer.from('abc'), tenant: 't1' };
    expect(buildDeadLetterHeaders(original, failure)).toEqual({
      'trace-id': Buffer.from('abc'),
      tenant: 't1',
      'x-dlq-reason': 'cannot read tenant',
      'x-dlq-error-type': 'TypeError',
      'x-dlq-original-topic': 'inbound',
      'x-dlq-original-partition': '2',
      'x-dlq-original-offset': '41',
      'x-dlq-consumer-group': 'conversation',
      'x-dlq-attempts': '3',
      'x-dlq-failed-at': '2025-01-02T03:04:05.678Z',
    });
  });

  it('describes the latest failure when a message is dead-lettered again', () => {
    const headers = buildDeadLetterHeaders(
      { [DEAD_LETTER_HEADERS.reason]: 'old reason', [DEAD_LETTER_HEADERS.attempts]: '5' },
      failure,
    );
    expect(headers[DEAD_LETTER_HEADERS.reason]).toBe('cannot read tenant');
    expect(headers[DEAD_LETTER_HEADERS.attempts]).toBe('3');
  });
});

describe('describeFailureReason', () => {
  it('uses the message and class of an Error', () => {
    expect(describeFailureReason(new RangeError('too big'))).toEqual({
      reason: 'too big',
      errorType: 'RangeError',
    });
  });

  it('describes thrown non-errors', () => {
    expect(describeFailureReason('plain string')).toEqual({
      reason: 'plain string',
      errorType: 'string',
    });
  });

  it('truncates very long reasons', () => {
    const { reason } = describeFailureReason(new Error('x'.repeat(10_000)));
    expect(reason.length).toBe(2_001);
    expect(reason.endsWith('…')).toBe(true);
  });
});

describe('decodeHeaders', () => {
  it('decodes buffers as UTF-8, keeps the last of repeated values and drops undefined', () => {
    expect(
      decodeHeaders({
        a: Buffer.from('ünïcode'),
        b: 'text',
        repeated: [Buffer.from('first'), 'last'],
        missing: undefined,
        empty: [],
      }),
    ).toEqual({ a: 'ünïcode', b: 'text', repeated: 'last' });
  });

  it('returns an empty record for a message without headers', () => {
    expect(decodeHeaders(undefined)).toEqual({});
  });
});
