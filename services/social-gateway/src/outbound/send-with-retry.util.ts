import type { Clock } from '../shared/clock';
import type { PlatformSendResult } from './providers/platform-provider.interface';

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Sends, retrying 429s and server errors with exponential backoff (Retry-After wins when the
 * platform gives one, capped so one message cannot hold its partition for long). Returns the
 * final result: sent, rejected, or the last retryable failure once attempts run out.
 */
export async function sendWithRetry(
  send: () => Promise<PlatformSendResult>,
  policy: RetryPolicy,
  clock: Clock,
): Promise<{ result: PlatformSendResult; attempts: number }> {
  let attempt = 1;
  for (;;) {
    const result = await send();
    if (result.kind !== 'retryable' || attempt >= policy.maxAttempts)
      return { result, attempts: attempt };
    const backoff = policy.baseDelayMs * 2 ** (attempt - 1);
    await clock.sleep(Math.min(result.retryAfterMs ?? backoff, policy.maxDelayMs));
    attempt += 1;
  }
}
