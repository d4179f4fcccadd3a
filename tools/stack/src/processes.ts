import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StackError } from './errors';
import { ensureDir, stackPaths } from './paths';

const HAS_PROCFS = fs.existsSync('/proc/self/stat');

/**
 * What the launcher remembers about a process it started, in
 * .stack/run/<component>.pid. The PID alone is not enough to stop it later:
 * after a reboot or a long time the PID may belong to someone else, so the
 * start time and command line are compared before any signal is sent.
 */
export interface ProcessRecord {
  component: string;
  pid: number;
  /** Clock ticks since boot (/proc/<pid>/stat field 22); a reused PID has another. */
  startTime: number | null;
  /** Resolved /proc/<pid>/exe; matched when a program rewrites its argv (redis-server does). */
  executable: string | null;
  argv: string[];
  address: string;
  logFile: string;
  startedAt: string;
}

interface ProcessIdentity {
  startTime: number | null;
  executable: string | null;
  argv: string[] | null;
}

/** The identity of a live process, or null when there is none (zombies count as gone). */
export function readProcessIdentity(pid: number): ProcessIdentity | null {
  if (!HAS_PROCFS) {
    // Best effort off Linux: liveness only.
    try {
      process.kill(pid, 0);
      return { startTime: null, executable: null, argv: null };
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM'
        ? { startTime: null, executable: null, argv: null }
        : null;
    }
  }
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may contain spaces and parentheses; the fields
  // after the last ')' are plain. Field 3 is the state, field 22 the start time.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  if (state === 'Z' || state === 'X' || state === 'x') return null;
  const startTime = Number(fields[19]);
  let executable: string | null = null;
  try {
    executable = fs.readlinkSync(`/proc/${pid}/exe`);
  } catch {
    executable = null;
  }
  let argv: string[] | null = null;
  try {
    argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (argv[argv.length - 1] === '') argv.pop();
  } catch {
    argv = null;
  }
  return { startTime: Number.isFinite(startTime) ? startTime : null, executable, argv };
}

/** True when the recorded process is still alive and is really the one we started. */
export function isRecordedProcessRunning(record: ProcessRecord): boolean {
  const identity = readProcessIdentity(record.pid);
  if (identity === null) return false;
  if (
    record.startTime !== null &&
    identity.startTime !== null &&
    record.startTime !== identity.startTime
  ) {
    return false;
  }
  const sameArgv =
    identity.argv !== null &&
    identity.argv.length === record.argv.length &&
    identity.argv.every((arg, index) => arg === record.argv[index]);
  const sameExecutable = identity.executable !== null && identity.executable === record.executable;
  const nothingToCompare = identity.argv === null && identity.executable === null;
  return sameArgv || sameExecutable || nothingToCompare;
}

function recordFile(component: string): string {
  return path.join(stackPaths().run, `${component}.pid`);
}

export function readRecord(component: string): ProcessRecord | null {
  try {
    const parsed = JSON.parse(fs.readFileSync(recordFile(component), 'utf8')) as ProcessRecord;
    return typeof parsed.pid === 'number' && Array.isArray(parsed.argv) ? parsed : null;
  } catch {
    return null;
  }
}

export function writeRecord(record: ProcessRecord): void {
  ensureDir(stackPaths().run);
  const file = recordFile(record.component);
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
  fs.renameSync(`${file}.tmp`, file);
}

export function removeRecord(component: string): void {
  fs.rmSync(recordFile(component), { force: true });
}

/** A server process that can be asked whether it is still there and stopped. */
export interface RunningProcess {
  readonly pid: number;
  /** Null while running; "exit code 1", "killed by SIGKILL", … once gone. */
  exitStatus(): string | null;
  /** SIGTERM, wait up to graceMs, SIGKILL, and resolve only once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnedProcess extends RunningProcess {
  readonly child: ChildProcess;
  readonly argv: string[];
}

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  logFile: string;
  /**
   * Detached processes get their own session (Ctrl-C on the launcher does not
   * reach them) and do not keep the launcher's event loop alive: they outlive
   * it, for the shared stack. Non-detached ones belong to the caller (tests).
   */
  detached: boolean;
}

const DEFAULT_GRACE_MS = 30_000;

export async function spawnToLog(
  command: string,
  args: readonly string[],
  options: SpawnOptions,
): Promise<SpawnedProcess> {
  ensureDir(path.dirname(options.logFile));
  fs.appendFileSync(
    options.logFile,
    `\n=== ${new Date().toISOString()} starting: ${[command, ...args].join(' ')}\n`,
  );
  const out = fs.openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: options.detached,
      stdio: ['ignore', out, out],
    });
  } finally {
    // The child has its own copy of the descriptor.
    fs.closeSync(out);
  }
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  // Keeps a later 'error' (none is expected: signals go through process.kill) from crashing us.
  child.on('error', () => undefined);
  const pid = child.pid;
  if (pid === undefined) {
    const error = await spawnError;
    throw new StackError(`could not start ${command}: ${error.message}`);
  }
  if (options.detached) child.unref();

  const hasExited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return {
    pid,
    child,
    argv: [command, ...args],
    exitStatus: () => {
      if (child.signalCode !== null) return `killed by ${child.signalCode}`;
      if (child.exitCode !== null) return `exit code ${child.exitCode}`;
      return null;
    },
    stop: (graceMs = DEFAULT_GRACE_MS) =>
      terminate({ pid, processGroup: options.detached, hasExited, graceMs }),
  };
}

/** Controls a process recorded by an earlier launcher run (not our child). */
export function recordedProcess(record: ProcessRecord): RunningProcess {
  const hasExited = (): boolean => !isRecordedProcessRunning(record);
  return {
    pid: record.pid,
    exitStatus: () => (hasExited() ? 'not running' : null),
    stop: (graceMs = DEFAULT_GRACE_MS) =>
      // Stack processes were started detached, so each leads its own process group.
      terminate({ pid: record.pid, processGroup: true, hasExited, graceMs }),
  };
}

export function recordFor(
  component: string,
  spawned: SpawnedProcess,
  address: string,
  logFile: string,
): ProcessRecord {
  const identity = readProcessIdentity(spawned.pid);
  return {
    component,
    pid: spawned.pid,
    startTime: identity?.startTime ?? null,
    executable: identity?.executable ?? null,
    // What we ran, not /proc's view of it: some programs rewrite their argv at once.
    argv: spawned.argv,
    address,
    logFile,
    startedAt: new Date().toISOString(),
  };
}

interface TerminateOptions {
  pid: number;
  processGroup: boolean;
  hasExited: () => boolean;
  graceMs: number;
}

async function terminate(options: TerminateOptions): Promise<void> {
  const { pid, hasExited } = options;
  if (hasExited()) return;
  sendSignal(pid, options.processGroup, 'SIGTERM');
  if (await waitUntil(hasExited, options.graceMs)) return;
  // Re-check identity before the hard kill: the PID must still be ours.
  if (hasExited()) return;
  sendSignal(pid, options.processGroup, 'SIGKILL');
  if (await waitUntil(hasExited, 10_000)) return;
  throw new StackError(`process ${pid} is still running after SIGKILL`);
}

function sendSignal(pid: number, processGroup: boolean, signal: NodeJS.Signals): void {
  if (processGroup) {
    try {
      process.kill(-pid, signal);
      return;
    } catch {
      // No such group (e.g. it changed its group); fall back to the process itself.
    }
  }
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}
