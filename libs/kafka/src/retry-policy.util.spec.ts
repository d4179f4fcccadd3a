import {
  backoffDelayMs,
  consumeOutcomeOf,
  decideAfterFailure,
  handleWithRetries,
  resolveRetryPolicy,
  type RetryPolicy,
} from './retry-policy.util';

const policy: RetryPolicy = { maxAttempts: 4, initialBackoffMs: 100, maxBackoffMs: 350 };

describe('backoffDelayMs', () => {
  it('starts at the initial delay, doubles, and stops at the cap', () => {
    expect([1, 2, 3, 4, 5].map((attempt) => backoffDelayMs(attempt, policy))).toEqual([
      100, 200, 350, 350, 350,
    ]);
  });

  it('stays finite for absurd attempt counts', () => {
    expect(backoffDelayMs(10_000, { ...policy, maxBackoffMs: Number.MAX_VALUE })).toBe(
      100 * 2 ** 30,
    );
  });
});

describe('decideAfterFailure', () => {
  it('retries with backoff until the last attempt, then dead-letters', () => {
    expect(decideAfterFailure(1, policy)).toEqual({ action: 'retry', delayMs: 100 });
    expect(decideAfterFailure(3, policy)).toEqual({ action: 'retry', delayMs: 350 });
    expect(decideAfterFailure(4, policy)).toEqual({ action: 'dead-letter' });
  });

  it('dead-letters on the first failure when only one attempt is allowed', () => {
    expect(decideAfterFailure(1, { ...policy, maxAttempts: 1 })).toEqual({ action: 'dead-letter' });
  });
});

describe('resolveRetryPolicy', () => {
  it('defaults to 3 attempts with 200 ms initial backoff', () => {
    expect(resolveRetryPolicy({})).toEqual({
      maxAttempts: 3,
      initialBackoffMs: 200,
      maxBackoffMs: 5_000,
    });
  });

  it('raises a cap below the initial backoff to the initial backoff', () => {
    expect(resolveRetryPolicy({ retryBackoffMs: 800, maxRetryBackoffMs: 100 }).maxBackoffMs).toBe(
      800,
    );
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects maxAttempts %p', (maxAttempts) => {
    expect(() => resolveRetryPolicy({ maxAttempts })).toThrow(RangeError);
  });

  it('rejects a negative backoff', () => {
    expect(() => resolveRetryPolicy({ retryBackoffMs: -5 })).toThrow(RangeError);
  });
});

describe('handleWithRetries', () => {
  it('succeeds on the first attempt without waiting', async () => {
    const waits: number[] = [];
    const outcome = await handleWithRetries(
      async () => undefined,
      policy,
      async (delayMs) => {
        waits.push(delayMs);
      },
    );
    expect(outcome).toEqual({ kind: 'handled', attempts: 1 });
    expect(waits).toEqual([]);
    expect(consumeOutcomeOf(outcome)).toBe('ok');
  });

  it('retries a transient failure after the backoff and reports it as retried', async () => {
    const waits: number[] = [];
    let calls = 0;
    const outcome = await handleWithRetries(
      async () => {
        calls += 1;
        if (calls < 3) {
          throw new Error(`transient ${calls}`);
        }
      },
      policy,
      async (delayMs) => {
        waits.push(delayMs);
      },
    );
    expect(outcome).toEqual({ kind: 'handled', attempts: 3 });
    expect(waits).toEqual([100, 200]);
    expect(consumeOutcomeOf(outcome)).toBe('retried');
  });

  it('gives up after maxAttempts with the last error, without a wait after the last attempt', async () => {
    const waits: number[] = [];
    const attempts: number[] = [];
    const outcome = await handleWithRetries(
      async (attempt) => {
        attempts.push(attempt);
        throw new Error(`boom ${attempt}`);
      },
      policy,
      async (delayMs) => {
        waits.push(delayMs);
      },
    );
    expect(attempts).toEqual([1, 2, 3, 4]);
    expect(waits).toEqual([100, 200, 350]);
    expect(outcome.kind).toBe('exhausted');
    expect(outcome.kind === 'exhausted' && outcome.lastError).toEqual(new Error('boom 4'));
    expect(consumeOutcomeOf(outcome)).toBe('dead_lettered');
  });

  it('abandons the message when the wait throws (shutdown), deciding nothing', async () => {
    let calls = 0;
    const run = handleWithRetries(
      async () => {
        calls += 1;
        throw new Error('fails');
      },
      policy,
      async () => {
        throw new Error('stopping');
      },
    );
    await expect(run).rejects.toThrow('stopping');
    expect(calls).toBe(1);
  });
});
