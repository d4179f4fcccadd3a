/** How often and how patiently a failing handler is retried before its message is dead-lettered. */
export interface RetryPolicy {
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  initialBackoffMs: 200,
  maxBackoffMs: 5_000,
};

export function resolveRetryPolicy(overrides: {
  maxAttempts?: number;
  retryBackoffMs?: number;
  maxRetryBackoffMs?: number;
}): RetryPolicy {
  const policy: RetryPolicy = {
    maxAttempts: overrides.maxAttempts ?? DEFAULT_RETRY_POLICY.maxAttempts,
    initialBackoffMs: overrides.retryBackoffMs ?? DEFAULT_RETRY_POLICY.initialBackoffMs,
    maxBackoffMs: overrides.maxRetryBackoffMs ?? DEFAULT_RETRY_POLICY.maxBackoffMs,
  };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new RangeError(`maxAttempts must be an integer >= 1, got ${policy.maxAttempts}`);
  }
  if (!(policy.initialBackoffMs >= 0) || !(policy.maxBackoffMs >= 0)) {
    throw new RangeError('retry backoff must be >= 0 ms');
  }
  return { ...policy, maxBackoffMs: Math.max(policy.maxBackoffMs, policy.initialBackoffMs) };
}

/** Delay after the given failed attempt (1-based): initial, then doubling, never above the cap. */
export function backoffDelayMs(failedAttempt: number, policy: RetryPolicy): number {
  const exponent = Math.max(0, failedAttempt - 1);
  // Capping the exponent keeps 2 ** exponent finite for absurd attempt counts.
  const uncapped = policy.initialBackoffMs * 2 ** Math.min(exponent, 30);
  return Math.min(uncapped, policy.maxBackoffMs);
}

export type FailureDecision = { action: 'retry'; delayMs: number } | { action: 'dead-letter' };

export function decideAfterFailure(failedAttempt: number, policy: RetryPolicy): FailureDecision {
  return failedAttempt >= policy.maxAttempts
    ? { action: 'dead-letter' }
    : { action: 'retry', delayMs: backoffDelayMs(failedAttempt, policy) };
}

export type HandlingOutcome =
  | { kind: 'handled'; attempts: number }
  | { kind: 'exhausted'; attempts: number; lastError: unknown };

/**
 * Runs `attempt` until it succeeds or the policy gives up. `waitBeforeRetry` is where the caller
 * sleeps (and keeps its group membership alive); it may throw to abandon the message, e.g. on
 * shutdown, in which case nothing is decided and the message must be redelivered.
 */
export async function handleWithRetries(
  attempt: (attemptNumber: number) => Promise<void>,
  policy: RetryPolicy,
  waitBeforeRetry: (delayMs: number) => Promise<void>,
): Promise<HandlingOutcome> {
  for (let attemptNumber = 1; ; attemptNumber += 1) {
    try {
      await attempt(attemptNumber);
      return { kind: 'handled', attempts: attemptNumber };
    } catch (error) {
      const decision = decideAfterFailure(attemptNumber, policy);
      if (decision.action === 'dead-letter') {
        return { kind: 'exhausted', attempts: attemptNumber, lastError: error };
      }
      await waitBeforeRetry(decision.delayMs);
    }
  }
}

/** Metric outcome of one message: first try, after retries, or dead-lettered. */
export type ConsumeOutcome = 'ok' | 'retried' | 'dead_lettered';

export function consumeOutcomeOf(outcome: HandlingOutcome): ConsumeOutcome {
  switch (outcome.kind) {
    case 'handled':
      return outcome.attempts === 1 ? 'ok' : 'retried';
    case 'exhausted':
      return 'dead_lettered';
  }
}
