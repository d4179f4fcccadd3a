export class DeadlineExceededError extends Error {
  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
  ) {
    super(`${operation} did not finish within ${timeoutMs} ms`);
    this.name = 'DeadlineExceededError';
  }
}

/**
 * Resolves or rejects like `operation`, or rejects with DeadlineExceededError after `timeoutMs`.
 * The operation itself keeps running: the caller must clean up after it (see BackgroundWork).
 */
export async function withDeadline<T>(
  operation: Promise<T>,
  timeoutMs: number,
  operationName: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DeadlineExceededError(operationName, timeoutMs)),
      Math.max(0, timeoutMs),
    );
  });
  try {
    return await Promise.race([operation, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Operations abandoned after a deadline still hold sockets and retry timers until kafkajs gives
 * up. They are tracked so that disconnect()/close() can wait for them and leave no open handles.
 */
export class BackgroundWork {
  private readonly pending = new Set<Promise<unknown>>();

  track(work: Promise<unknown>): void {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(settled);
    void settled.finally(() => this.pending.delete(settled));
  }

  async settle(): Promise<void> {
    while (this.pending.size > 0) {
      await Promise.all(this.pending);
    }
  }
}

/** A sleep that ends early (rejecting) when the signal aborts, e.g. on consumer shutdown. */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(new Error('aborted'));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
