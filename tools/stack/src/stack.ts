import * as fs from 'node:fs';
import * as path from 'node:path';
import { StackError, errorMessage } from './errors';
import {
  FERRETDB_PORT,
  FERRETDB_READY_TIMEOUT_MS,
  FERRETDB_STOP_GRACE_MS,
  launchFerretDb,
  mongoUri,
} from './ferretdb';
import {
  KAFKA_CONTROLLER_PORT,
  KAFKA_PORT,
  KAFKA_READY_TIMEOUT_MS,
  KAFKA_STOP_GRACE_MS,
  kafkaAddress,
  launchKafka,
} from './kafka';
import { withStackLock } from './lock';
import { ensureDir, logFile, stackPaths } from './paths';
import { probeKafka, probeMongo, probeRedis, warmUpKafka } from './probes';
import {
  type SpawnedProcess,
  isRecordedProcessRunning,
  readRecord,
  recordFor,
  recordedProcess,
  removeRecord,
  sleep,
  writeRecord,
} from './processes';
import { waitUntilReady } from './readiness';
import {
  REDIS_PORT,
  REDIS_READY_TIMEOUT_MS,
  REDIS_STOP_GRACE_MS,
  launchRedis,
  redisUrl,
} from './redis';
import { type Log, assertPortsFree, silentLog } from './server';

export type ComponentName = 'kafka' | 'ferretdb' | 'redis';

export interface StackEndpoints {
  /** Comma-separated broker list, e.g. "127.0.0.1:19092". */
  kafkaBrokers: string;
  mongodbUri: string;
  redisUrl: string;
}

export interface ComponentStatus {
  component: ComponentName;
  /** "stack": a process this launcher started; "environment": named by KAFKA_BROKERS etc. */
  source: 'stack' | 'environment';
  pid: number | null;
  address: string;
  up: boolean;
  /** Why it is down (or not answering), when known. */
  detail?: string;
}

export interface StackOptions {
  /** Progress lines ("kafka: ready at …"); silent when omitted. */
  log?: Log;
}

interface Component {
  name: ComponentName;
  title: string;
  /** Names an existing server to use instead of starting one. */
  envVar: 'KAFKA_BROKERS' | 'MONGODB_URI' | 'REDIS_URL';
  address: string;
  ports: number[];
  readyTimeoutMs: number;
  stopGraceMs: number;
  probe(address: string): Promise<void>;
  /** Runs once after a fresh start has answered. */
  afterStart?(address: string): Promise<void>;
  launch(log: Log): Promise<SpawnedProcess>;
}

function components(): Component[] {
  const dataDir = stackPaths().data;
  return [
    {
      name: 'kafka',
      title: 'Kafka',
      envVar: 'KAFKA_BROKERS',
      address: kafkaAddress(KAFKA_PORT),
      ports: [KAFKA_PORT, KAFKA_CONTROLLER_PORT],
      readyTimeoutMs: KAFKA_READY_TIMEOUT_MS,
      stopGraceMs: KAFKA_STOP_GRACE_MS,
      probe: probeKafka,
      afterStart: warmUpKafka,
      launch: (log) =>
        launchKafka({
          port: KAFKA_PORT,
          controllerPort: KAFKA_CONTROLLER_PORT,
          dir: path.join(dataDir, 'kafka'),
          logFile: logFile('kafka'),
          detached: true,
          log,
        }),
    },
    {
      name: 'ferretdb',
      title: 'FerretDB',
      envVar: 'MONGODB_URI',
      address: mongoUri(FERRETDB_PORT),
      ports: [FERRETDB_PORT],
      readyTimeoutMs: FERRETDB_READY_TIMEOUT_MS,
      stopGraceMs: FERRETDB_STOP_GRACE_MS,
      probe: probeMongo,
      launch: (log) =>
        launchFerretDb({
          port: FERRETDB_PORT,
          dataDir: path.join(dataDir, 'ferretdb'),
          logFile: logFile('ferretdb'),
          detached: true,
          log,
        }),
    },
    {
      name: 'redis',
      title: 'Redis',
      envVar: 'REDIS_URL',
      address: redisUrl(REDIS_PORT),
      ports: [REDIS_PORT],
      readyTimeoutMs: REDIS_READY_TIMEOUT_MS,
      stopGraceMs: REDIS_STOP_GRACE_MS,
      probe: probeRedis,
      launch: (log) =>
        launchRedis({
          port: REDIS_PORT,
          dataDir: path.join(dataDir, 'redis'),
          logFile: logFile('redis'),
          detached: true,
          log,
        }),
    },
  ];
}

export const COMPONENT_NAMES: readonly ComponentName[] = ['kafka', 'ferretdb', 'redis'];

function externalAddress(component: Component): string | null {
  const value = process.env[component.envVar]?.trim();
  return value ? value : null;
}

/** Null when the probe succeeds within the time, otherwise the last failure. */
async function probeFailure(probe: () => Promise<void>, timeoutMs: number): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await probe();
      return null;
    } catch (error) {
      if (Date.now() >= deadline) return errorMessage(error);
    }
    await sleep(250);
  }
}

function seconds(sinceMs: number): string {
  return `${((Date.now() - sinceMs) / 1000).toFixed(1)} s`;
}

/** Makes one component available and returns its address. */
async function bringUp(component: Component, log: Log): Promise<string> {
  const { name, title, envVar } = component;
  const startedAt = Date.now();

  const external = externalAddress(component);
  if (external !== null) {
    const failure = await probeFailure(() => component.probe(external), 10_000);
    if (failure !== null) {
      throw new StackError(
        `${envVar}=${external} is set but no ${title} answers there (${failure}); start that server, or unset ${envVar} to let the stack start its own`,
      );
    }
    log(`${name}: using ${envVar}=${external} (not started by the stack)`);
    return external;
  }

  const record = readRecord(name);
  if (record !== null && isRecordedProcessRunning(record)) {
    const running = recordedProcess(record);
    await waitUntilReady({
      what: `${title} (pid ${record.pid}, started earlier)`,
      probe: () => component.probe(record.address),
      timeoutMs: component.readyTimeoutMs,
      exitStatus: () => running.exitStatus(),
      logFile: record.logFile,
    });
    log(`${name}: already running at ${record.address} (pid ${record.pid})`);
    return record.address;
  }
  if (record !== null) removeRecord(name);

  await assertPortsFree(
    component.ports,
    `which this stack did not start; stop it, or set ${envVar}=${component.address} to use that server instead`,
  );
  log(`${name}: starting…`);
  const spawned = await component.launch(log);
  const logPath = logFile(name);
  writeRecord(recordFor(name, spawned, component.address, logPath));
  try {
    await waitUntilReady({
      what: `${title} on ${component.address}`,
      probe: () => component.probe(component.address),
      timeoutMs: component.readyTimeoutMs,
      exitStatus: () => spawned.exitStatus(),
      logFile: logPath,
    });
  } catch (error) {
    // Leave nothing half-started behind: the next `up` starts cleanly.
    try {
      await spawned.stop(5000);
      removeRecord(name);
    } catch {
      // The readiness error is the one worth reporting; the record stays for `down`.
    }
    throw error;
  }
  if (component.afterStart) {
    try {
      await component.afterStart(component.address);
    } catch (error) {
      // Only an optimisation: clients would do the same work on first use.
      log(`${name}: warm-up failed (${errorMessage(error)}); continuing`);
    }
  }
  log(`${name}: ready at ${component.address} (pid ${spawned.pid}, ${seconds(startedAt)})`);
  return component.address;
}

function endpointsFile(): string {
  return path.join(stackPaths().root, 'endpoints.json');
}

/** The endpoints written by the last successful `up`, or null when the stack is down. */
export function readStackEndpoints(): StackEndpoints | null {
  try {
    return JSON.parse(fs.readFileSync(endpointsFile(), 'utf8')) as StackEndpoints;
  } catch {
    return null;
  }
}

/** Throws one StackError naming every component that failed. */
function raiseFailures(failures: { name: ComponentName; error: unknown }[]): never {
  const [first] = failures;
  if (failures.length === 1 && first?.error instanceof StackError) throw first.error;
  const message = failures.map(({ name, error }) => `${name}: ${errorMessage(error)}`).join('; ');
  const details = failures
    .map(({ name, error }) =>
      error instanceof StackError && error.details ? `${name}:\n${error.details}` : '',
    )
    .filter(Boolean)
    .join('\n');
  throw new StackError(
    failures.length === 1 ? message : `${failures.length} components failed: ${message}`,
    details || undefined,
  );
}

/**
 * Starts Kafka, FerretDB and Redis (in parallel), reusing any that are already
 * running, and waits until each really answers. Writes .stack/endpoints.json.
 */
export async function stackUp(options: StackOptions = {}): Promise<StackEndpoints> {
  const log = options.log ?? silentLog;
  return withStackLock(log, async () => {
    ensureDir(stackPaths().root);
    const all = components();
    const settled = await Promise.allSettled(all.map((component) => bringUp(component, log)));
    const addresses = new Map<ComponentName, string>();
    const failures: { name: ComponentName; error: unknown }[] = [];
    settled.forEach((result, index) => {
      const name = all[index]?.name;
      if (name === undefined) return;
      if (result.status === 'fulfilled') addresses.set(name, result.value);
      else failures.push({ name, error: result.reason });
    });
    if (failures.length > 0) raiseFailures(failures);

    const endpoints: StackEndpoints = {
      kafkaBrokers: addresses.get('kafka') ?? '',
      mongodbUri: addresses.get('ferretdb') ?? '',
      redisUrl: addresses.get('redis') ?? '',
    };
    fs.writeFileSync(endpointsFile(), `${JSON.stringify(endpoints, null, 2)}\n`);
    return endpoints;
  });
}

/** Stops exactly the processes this launcher recorded and waits until they are gone. */
export async function stackDown(options: StackOptions = {}): Promise<void> {
  const log = options.log ?? silentLog;
  await withStackLock(log, async () => {
    const all = components();
    const settled = await Promise.allSettled(
      all.map(async (component) => {
        const record = readRecord(component.name);
        if (record === null) {
          log(`${component.name}: not running`);
          return;
        }
        if (!isRecordedProcessRunning(record)) {
          // Gone already, or the PID now belongs to another program: never signal it.
          removeRecord(component.name);
          log(`${component.name}: not running (stale pid file removed)`);
          return;
        }
        const startedAt = Date.now();
        log(`${component.name}: stopping pid ${record.pid}…`);
        await recordedProcess(record).stop(component.stopGraceMs);
        removeRecord(component.name);
        log(`${component.name}: stopped (${seconds(startedAt)})`);
      }),
    );
    fs.rmSync(endpointsFile(), { force: true });
    const failures = settled.flatMap((result, index) =>
      result.status === 'rejected'
        ? [{ name: all[index]?.name ?? 'kafka', error: result.reason as unknown }]
        : [],
    );
    if (failures.length > 0) raiseFailures(failures);
  });
}

/** One row per component: who runs it, where, and whether it answers right now. */
export async function stackStatus(): Promise<ComponentStatus[]> {
  return Promise.all(
    components().map(async (component): Promise<ComponentStatus> => {
      const external = externalAddress(component);
      if (external !== null) {
        const failure = await probeFailure(() => component.probe(external), 0);
        return {
          component: component.name,
          source: 'environment',
          pid: null,
          address: external,
          up: failure === null,
          ...(failure === null ? {} : { detail: failure }),
        };
      }
      const record = readRecord(component.name);
      const address = record?.address ?? component.address;
      if (record === null || !isRecordedProcessRunning(record)) {
        return {
          component: component.name,
          source: 'stack',
          pid: null,
          address,
          up: false,
          ...(record === null
            ? {}
            : { detail: `recorded pid ${record.pid} is gone (or now another program's)` }),
        };
      }
      const failure = await probeFailure(() => component.probe(address), 0);
      return {
        component: component.name,
        source: 'stack',
        pid: record.pid,
        address,
        up: failure === null,
        ...(failure === null ? {} : { detail: `running but not answering: ${failure}` }),
      };
    }),
  );
}
