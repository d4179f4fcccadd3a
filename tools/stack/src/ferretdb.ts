import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StackError } from './errors';
import { describeExit, findExecutable, runToLog, tailFile } from './exec';
import { STACK_PACKAGE_DIR, ensureDir, logFile, stackPaths } from './paths';
import { LOOPBACK } from './ports';
import { probeMongo } from './probes';
import { type SpawnedProcess, spawnToLog } from './processes';
import { type DisposableServer, type Log, silentLog, startDisposable } from './server';

/** The project's own Go main package embedding github.com/FerretDB/FerretDB/ferretdb. */
const SOURCE_DIR = path.join(STACK_PACKAGE_DIR, 'ferretdb');
const SOURCE_FILES = ['main.go', 'go.mod', 'go.sum'];
/**
 * -checklinkname=0: newer Go linkers reject the //go:linkname pulls of an old
 * dependency (modernc.org/libc); harmless where they are accepted.
 */
const BUILD_ARGS = ['build', '-trimpath', '-buildvcs=false', '-ldflags=-checklinkname=0'];

export const FERRETDB_PORT = 27117;
export const FERRETDB_READY_TIMEOUT_MS = 30_000;
export const FERRETDB_STOP_GRACE_MS = 10_000;

export function mongoUri(port: number): string {
  return `mongodb://${LOOPBACK}:${port}/`;
}

function sourceHash(): string {
  const hash = createHash('sha256');
  for (const file of SOURCE_FILES) {
    hash.update(`${file}\0`).update(fs.readFileSync(path.join(SOURCE_DIR, file)));
  }
  hash.update(BUILD_ARGS.join(' '));
  return hash.digest('hex');
}

/** Builds .stack/bin/ferretdb, unless the binary was built from the same sources. */
export async function ensureFerretDbBinary(log: Log = silentLog): Promise<string> {
  const binDir = ensureDir(stackPaths().bin);
  const binary = path.join(binDir, 'ferretdb');
  const hashFile = `${binary}.sha256`;
  const wanted = sourceHash();
  if (fs.existsSync(binary) && readText(hashFile) === wanted) return binary;

  const go = findExecutable('go', ['/usr/local/go/bin']);
  if (!go) {
    throw new StackError(
      'go not found on PATH: Go 1.24+ is needed once to build FerretDB; install it or set MONGODB_URI to an existing MongoDB',
    );
  }
  const buildLog = logFile('ferretdb-build');
  log('ferretdb: building FerretDB from its Go module (first run or sources changed)…');
  const staging = `${binary}.partial-${process.pid}`;
  const result = await runToLog(go, [...BUILD_ARGS, '-o', staging, '.'], {
    cwd: SOURCE_DIR,
    logFile: buildLog,
  });
  if (result.exitCode !== 0 || !fs.existsSync(staging)) {
    fs.rmSync(staging, { force: true });
    throw new StackError(
      `go build of FerretDB failed (${describeExit(result)}); log: ${buildLog}`,
      tailFile(buildLog),
    );
  }
  fs.renameSync(staging, binary);
  fs.writeFileSync(hashFile, wanted);
  return binary;
}

export interface FerretDbLaunch {
  port: number;
  dataDir: string;
  logFile: string;
  detached: boolean;
  log?: Log;
}

export async function launchFerretDb(launch: FerretDbLaunch): Promise<SpawnedProcess> {
  const binary = await ensureFerretDbBinary(launch.log);
  const dataDir = ensureDir(launch.dataDir);
  return spawnToLog(
    binary,
    ['--listen-addr', `${LOOPBACK}:${launch.port}`, '--data-dir', dataDir],
    { cwd: dataDir, logFile: launch.logFile, detached: launch.detached },
  );
}

export interface StartFerretDbOptions {
  /** Holds the SQLite data (data/) and ferretdb.log; created when missing. */
  dir: string;
  port: number;
  log?: Log;
}

/** A throw-away FerretDB for one test; reuses the built binary. */
export async function startFerretDb(options: StartFerretDbOptions): Promise<DisposableServer> {
  const dir = ensureDir(path.resolve(options.dir));
  const logPath = path.join(dir, 'ferretdb.log');
  const url = mongoUri(options.port);
  return startDisposable({
    what: `FerretDB on ${url}`,
    url,
    logFile: logPath,
    ports: [options.port],
    readyTimeoutMs: FERRETDB_READY_TIMEOUT_MS,
    stopGraceMs: FERRETDB_STOP_GRACE_MS,
    spawnServer: () =>
      launchFerretDb({
        port: options.port,
        dataDir: path.join(dir, 'data'),
        logFile: logPath,
        detached: false,
        log: options.log,
      }),
    probe: () => probeMongo(url),
  });
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}
