import { StackError } from './errors';
import { describePortOwner, isPortFree } from './ports';
import { type SpawnedProcess } from './processes';
import { waitUntilReady } from './readiness';

export type Log = (line: string) => void;

export const silentLog: Log = () => undefined;

/** A server started for one test, which the test stops (or kills) itself. */
export interface DisposableServer {
  /** Kafka: "127.0.0.1:<port>" (a brokers list); FerretDB: mongodb://…; Redis: redis://… */
  url: string;
  pid: number;
  logFile: string;
  /** SIGTERM, then SIGKILL after a grace period; resolves once the process has exited. */
  stop(): Promise<void>;
}

export async function assertPortsFree(ports: readonly number[], hint: string): Promise<void> {
  for (const port of ports) {
    if (!(await isPortFree(port))) {
      const owner = await describePortOwner(port);
      throw new StackError(`port ${port} is already in use by ${owner}, ${hint}`);
    }
  }
}

export interface DisposableStart {
  what: string;
  url: string;
  logFile: string;
  ports: readonly number[];
  readyTimeoutMs: number;
  stopGraceMs: number;
  spawnServer: () => Promise<SpawnedProcess>;
  probe: () => Promise<void>;
  /** Runs once the server answers; a failure stops the server and is thrown. */
  afterReady?: () => Promise<void>;
}

export async function startDisposable(start: DisposableStart): Promise<DisposableServer> {
  await assertPortsFree(start.ports, 'which this test did not start; pick another port');
  const spawned = await start.spawnServer();
  try {
    await waitUntilReady({
      what: start.what,
      probe: start.probe,
      timeoutMs: start.readyTimeoutMs,
      exitStatus: () => spawned.exitStatus(),
      logFile: start.logFile,
    });
    await start.afterReady?.();
  } catch (error) {
    await spawned.stop(5000);
    throw error;
  }
  return {
    url: start.url,
    pid: spawned.pid,
    logFile: start.logFile,
    stop: () => spawned.stop(start.stopGraceMs),
  };
}
