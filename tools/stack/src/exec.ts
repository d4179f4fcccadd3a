import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StackError } from './errors';

/** Looks a command up on PATH (plus fallback directories) without spawning a shell. */
export function findExecutable(name: string, fallbackDirs: readonly string[] = []): string | null {
  const dirs = [...(process.env['PATH'] ?? '').split(path.delimiter), ...fallbackDirs];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

export interface CommandResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunToLogOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  logFile: string;
}

/**
 * Runs a command to completion with its output appended to a log file, so a
 * failed build can be shown as "tail of the log + its path" afterwards.
 */
export async function runToLog(
  command: string,
  args: readonly string[],
  options: RunToLogOptions,
): Promise<CommandResult> {
  fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
  fs.appendFileSync(
    options.logFile,
    `\n=== ${new Date().toISOString()} $ ${[command, ...args].join(' ')}\n`,
  );
  const out = fs.openSync(options.logFile, 'a');
  try {
    return await new Promise<CommandResult>((resolve, reject) => {
      const child = spawn(command, args, {
        cwd: options.cwd,
        env: options.env ?? process.env,
        stdio: ['ignore', out, out],
      });
      child.once('error', (error) =>
        reject(new StackError(`could not run ${command}: ${error.message}`)),
      );
      child.once('exit', (exitCode, signal) => resolve({ exitCode, signal }));
    });
  } finally {
    fs.closeSync(out);
  }
}

export function describeExit(result: CommandResult): string {
  return result.signal ? `killed by ${result.signal}` : `exit code ${String(result.exitCode)}`;
}

// Maven and some tools colour their output even when it goes to a file.
// eslint-disable-next-line no-control-regex
const ANSI_ESCAPE = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

/** The last lines of a log file, for error messages; empty when the file is missing. */
export function tailFile(file: string, lineCount = 25): string {
  let text: string;
  try {
    const size = fs.statSync(file).size;
    const readFrom = Math.max(0, size - 64 * 1024);
    const fd = fs.openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(size - readFrom);
      fs.readSync(fd, buffer, 0, buffer.length, readFrom);
      text = buffer.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
  const lines = text.replace(ANSI_ESCAPE, '').split('\n');
  while (lines.length > 0 && lines[lines.length - 1]?.trim() === '') lines.pop();
  return lines
    .slice(-lineCount)
    .map((line) => `  | ${line}`)
    .join('\n');
}
