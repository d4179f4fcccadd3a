import * as path from 'node:path';
import { StackError } from './errors';
import { describeExit, findExecutable, runToLog, tailFile } from './exec';
import { ensureDir, logFile } from './paths';
import { LOOPBACK } from './ports';
import { probeRedis } from './probes';
import { type SpawnedProcess, spawnToLog } from './processes';
import { type DisposableServer, type Log, silentLog, startDisposable } from './server';

export const REDIS_PORT = 16379;
export const REDIS_READY_TIMEOUT_MS = 15_000;
export const REDIS_STOP_GRACE_MS = 10_000;

const SYSTEM_DIRS = ['/usr/bin', '/usr/sbin', '/usr/local/bin'];

export function redisUrl(port: number): string {
  return `redis://${LOOPBACK}:${port}`;
}

/**
 * Finds redis-server, installing Debian's package when it is missing. The
 * package may start its own system service on 6379; that one is not ours and
 * is left alone (we run a separate server on our port).
 */
export async function ensureRedisServer(log: Log = silentLog): Promise<string> {
  const existing = findExecutable('redis-server', SYSTEM_DIRS);
  if (existing) return existing;

  const aptGet = findExecutable('apt-get', SYSTEM_DIRS);
  if (!aptGet) {
    throw new StackError(
      'redis-server not found and apt-get is not available: install Redis yourself, or set REDIS_URL to an existing Redis',
    );
  }
  const isRoot = process.getuid?.() === 0;
  const sudo = isRoot ? null : findExecutable('sudo', SYSTEM_DIRS);
  if (!isRoot && !sudo) {
    throw new StackError(
      'redis-server is not installed and installing it needs root: run `apt-get install -y redis-server` as root, or set REDIS_URL to an existing Redis',
    );
  }
  const installLog = logFile('redis-install');
  if (sudo && (await runToLog(sudo, ['-n', 'true'], { logFile: installLog })).exitCode !== 0) {
    throw new StackError(
      'redis-server is not installed and installing it needs root (sudo asks for a password): run `sudo apt-get install -y redis-server`, or set REDIS_URL to an existing Redis',
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // `sudo -n` fails at once instead of waiting for a password nobody will type.
  const asRoot = (args: string[]): [string, string[]] =>
    sudo ? [sudo, ['-n', aptGet, ...args]] : [aptGet, args];

  log('redis: installing Debian package redis-server (first run only)…');
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'redis-server']]) {
    const [command, commandArgs] = asRoot(args);
    const result = await runToLog(command, commandArgs, { env, logFile: installLog });
    if (result.exitCode !== 0) {
      throw new StackError(
        `apt-get ${args[0] ?? ''} failed while installing redis-server (${describeExit(result)}); log: ${installLog}`,
        tailFile(installLog),
      );
    }
  }
  const installed = findExecutable('redis-server', SYSTEM_DIRS);
  if (!installed) {
    throw new StackError(
      `redis-server is still missing after apt-get install; log: ${installLog}`,
      tailFile(installLog),
    );
  }
  return installed;
}

export interface RedisLaunch {
  port: number;
  dataDir: string;
  logFile: string;
  detached: boolean;
  log?: Log;
}

export async function launchRedis(launch: RedisLaunch): Promise<SpawnedProcess> {
  const redisServer = await ensureRedisServer(launch.log);
  const dataDir = ensureDir(launch.dataDir);
  return spawnToLog(
    redisServer,
    [
      '--port',
      String(launch.port),
      '--bind',
      LOOPBACK,
      '--dir',
      dataDir,
      // A cache for tests and demos: no snapshots, no append-only file.
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
    ],
    { cwd: dataDir, logFile: launch.logFile, detached: launch.detached },
  );
}

export interface StartRedisOptions {
  /** Holds the working directory (data/) and redis.log; created when missing. */
  dir: string;
  port: number;
  log?: Log;
}

/** A throw-away Redis for one test (e.g. "service turns not-ready when Redis stops"). */
export async function startRedis(options: StartRedisOptions): Promise<DisposableServer> {
  const dir = ensureDir(path.resolve(options.dir));
  const logPath = path.join(dir, 'redis.log');
  const url = redisUrl(options.port);
  return startDisposable({
    what: `Redis on ${url}`,
    url,
    logFile: logPath,
    ports: [options.port],
    readyTimeoutMs: REDIS_READY_TIMEOUT_MS,
    stopGraceMs: REDIS_STOP_GRACE_MS,
    spawnServer: () =>
      launchRedis({
        port: options.port,
        dataDir: path.join(dir, 'data'),
        logFile: logPath,
        detached: false,
        log: options.log,
      }),
    probe: () => probeRedis(url),
  });
}
