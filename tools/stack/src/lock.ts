import * as fs from 'node:fs';
import * as path from 'node:path';
import { StackError } from './errors';
import { ensureDir, stackPaths } from './paths';
import { sleep } from './processes';
import { type Log } from './server';

const LOCK_WAIT_MS = 15 * 60_000;

/** Serialises up/down within this process (the file lock below is per process). */
let inProcessQueue: Promise<unknown> = Promise.resolve();

/**
 * Runs fn while holding .stack/run/stack.lock, so that two launchers (say, a
 * developer's `up` and Jest's globalSetup) never start the same component twice.
 */
export async function withStackLock<T>(log: Log, fn: () => Promise<T>): Promise<T> {
  const run = inProcessQueue.then(() => withFileLock(log, fn));
  inProcessQueue = run.catch(() => undefined);
  return run;
}

async function withFileLock<T>(log: Log, fn: () => Promise<T>): Promise<T> {
  const lockFile = path.join(ensureDir(stackPaths().run), 'stack.lock');
  const deadline = Date.now() + LOCK_WAIT_MS;
  let announced = false;
  for (;;) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number(readText(lockFile));
    if (!Number.isInteger(holder) || holder === process.pid || !isAlive(holder)) {
      // Left behind by a launcher that died (or by this process before a crash).
      fs.rmSync(lockFile, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      throw new StackError(
        `another stack launcher (pid ${holder}) has held ${lockFile} for ${LOCK_WAIT_MS / 60_000} min; stop it or remove the file`,
      );
    }
    if (!announced) {
      log(`waiting for another stack launcher (pid ${holder}) to finish…`);
      announced = true;
    }
    await sleep(500);
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockFile, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}
