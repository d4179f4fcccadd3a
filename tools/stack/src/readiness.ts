import { StackError, errorMessage } from './errors';
import { tailFile } from './exec';
import { sleep } from './processes';

export interface ReadinessOptions {
  /** Names the server in messages, e.g. "Kafka on 127.0.0.1:19092". */
  what: string;
  /** Resolves when the server answers; rejects (with the reason) when it does not yet. */
  probe: () => Promise<void>;
  timeoutMs: number;
  /** Null while the process runs, otherwise why it is gone; omitted for servers we did not start. */
  exitStatus?: () => string | null;
  logFile?: string;
  intervalMs?: number;
}

/** Polls the probe until it succeeds, the process dies, or the deadline passes. */
export async function waitUntilReady(options: ReadinessOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const logHint = options.logFile ? `; log: ${options.logFile}` : '';
  const logTail = (): string | undefined =>
    options.logFile ? tailFile(options.logFile) || undefined : undefined;
  let lastError = 'no answer yet';
  for (;;) {
    const exited = options.exitStatus?.() ?? null;
    if (exited !== null) {
      throw new StackError(
        `${options.what} exited during start-up (${exited})${logHint}`,
        logTail(),
      );
    }
    try {
      await options.probe();
      return;
    } catch (error) {
      lastError = errorMessage(error);
    }
    if (Date.now() >= deadline) {
      const exitedLate = options.exitStatus?.() ?? null;
      const reason =
        exitedLate !== null
          ? `exited during start-up (${exitedLate})`
          : `did not answer within ${Math.round(options.timeoutMs / 1000)} s (last error: ${lastError})`;
      throw new StackError(`${options.what} ${reason}${logHint}`, logTail());
    }
    await sleep(options.intervalMs ?? 250);
  }
}
