import { estimateMessageBytes, takeSendBatch, type QueuedSend } from './send-queue.util';

interface TestSend extends QueuedSend {
  id: string;
}

function send(id: string, overrides: Partial<QueuedSend> = {}): TestSend {
  return { id, deadline: 10_000, sizeBytes: 100, sendAlone: false, ...overrides };
}

const ids = (sends: TestSend[]): string[] => sends.map((entry) => entry.id);

describe('takeSendBatch', () => {
  it('coalesces queued sends in order up to the byte limit', () => {
    const { batch, remaining, expired } = takeSendBatch(
      [send('a'), send('b'), send('c'), send('d')],
      0,
      300,
    );
    expect(ids(batch)).toEqual(['a', 'b', 'c']);
    expect(ids(remaining)).toEqual(['d']);
    expect(expired).toEqual([]);
  });

  it('always takes the first live send, even when it alone is over the limit', () => {
    const { batch, remaining } = takeSendBatch(
      [send('huge', { sizeBytes: 5_000 }), send('b')],
      0,
      300,
    );
    expect(ids(batch)).toEqual(['huge']);
    expect(ids(remaining)).toEqual(['b']);
  });

  it('does not skip ahead past a send that does not fit (per-key order across sends)', () => {
    const { batch, remaining } = takeSendBatch(
      [send('a'), send('big', { sizeBytes: 1_000 }), send('small')],
      0,
      300,
    );
    expect(ids(batch)).toEqual(['a']);
    expect(ids(remaining)).toEqual(['big', 'small']);
  });

  it('sends a send marked sendAlone on its own', () => {
    expect(
      ids(takeSendBatch([send('a'), send('alone', { sendAlone: true })], 0, 1_000).batch),
    ).toEqual(['a']);
    const { batch, remaining } = takeSendBatch(
      [send('alone', { sendAlone: true }), send('b')],
      0,
      1_000,
    );
    expect(ids(batch)).toEqual(['alone']);
    expect(ids(remaining)).toEqual(['b']);
  });

  it('separates sends whose deadline has passed', () => {
    const { batch, expired, remaining } = takeSendBatch(
      [send('late', { deadline: 50 }), send('a'), send('late2', { deadline: 100 }), send('b')],
      100,
      1_000,
    );
    expect(ids(expired)).toEqual(['late', 'late2']);
    expect(ids(batch)).toEqual(['a', 'b']);
    expect(remaining).toEqual([]);
  });

  it('returns nothing for an empty queue', () => {
    expect(takeSendBatch([], 0, 100)).toEqual({ expired: [], batch: [], remaining: [] });
  });
});

describe('estimateMessageBytes', () => {
  it('counts key, value and headers in bytes plus framing', () => {
    expect(
      estimateMessageBytes({
        key: 'ké',
        value: Buffer.alloc(10),
        headers: { h: 'vv', skip: undefined },
      }),
    ).toBe(3 + 10 + 1 + 2 + 4 + 70);
    expect(estimateMessageBytes({ key: null, value: null })).toBe(70);
  });
});
