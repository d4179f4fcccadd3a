import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const SERVICE_NAMES = [
  'email-gateway',
  'chat-gateway',
  'social-gateway',
  'router',
  'conversation',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export const DEFAULT_HTTP_PORTS: Record<ServiceName, number> = {
  'email-gateway': 3001,
  'chat-gateway': 3002,
  'social-gateway': 3003,
  router: 3004,
  conversation: 3005,
};

export const REPOSITORY_ROOT = resolve(__dirname, '../../..');

export interface ServiceProcess {
  readonly name: ServiceName;
  readonly httpUrl: string;
  readonly child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Sends the signal and resolves with the exit code and how long the exit took. */
  stop(
    signal?: NodeJS.Signals,
  ): Promise<{ code: number | null; signal: string | null; ms: number }>;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
}

export interface StartServiceOptions {
  env: Record<string, string>;
  httpPort: number;
  /** Also append the output to this file (the demo keeps per-service logs). */
  logFile?: string;
}

/** Runs a built service (services/<name>/dist/main.js) as its own process, as in production. */
export function spawnService(name: ServiceName, options: StartServiceOptions): ServiceProcess {
  const entry = join(REPOSITORY_ROOT, 'services', name, 'dist', 'main.js');
  const child = spawn(process.execPath, ['--enable-source-maps', entry], {
    cwd: REPOSITORY_ROOT,
    env: { ...pickProcessEnv(), ...options.env, HTTP_PORT: String(options.httpPort) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  let logStream: ReturnType<typeof createWriteStream> | undefined;
  if (options.logFile) {
    mkdirSync(dirname(options.logFile), { recursive: true });
    logStream = createWriteStream(options.logFile, { flags: 'a' });
  }
  const collect = (chunk: Buffer): void => {
    chunks.push(chunk.toString('utf8'));
    logStream?.write(chunk);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolveExit) => {
    child.once('exit', (code, signal) => {
      logStream?.end();
      resolveExit({ code, signal });
    });
  });
  return {
    name,
    httpUrl: `http://127.0.0.1:${options.httpPort}`,
    child,
    output: () => chunks.join(''),
    exited,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      const startedAt = Date.now();
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const result = await exited;
      return { ...result, ms: Date.now() - startedAt };
    },
  };
}

/** PATH and the like, without variables that would change how a service configures itself. */
function pickProcessEnv(): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'TZ', 'NODE_OPTIONS']) {
    const value = process.env[key];
    if (value !== undefined) kept[key] = value;
  }
  return kept;
}

/** Polls a URL until it answers with the expected status, or fails with the service's output. */
export async function waitForHttpStatus(
  url: string,
  expectedStatus: number,
  { timeoutMs = 20_000, process: watched }: { timeoutMs?: number; process?: ServiceProcess } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (watched && watched.child.exitCode !== null) {
      throw new Error(
        `${watched.name} exited with ${watched.child.exitCode}:\n${watched.output()}`,
      );
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      last = `HTTP ${response.status} ${await response.text()}`;
      if (response.status === expectedStatus) return;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  throw new Error(
    `${url} did not answer ${expectedStatus} within ${timeoutMs} ms (last: ${last})${
      watched ? `\n--- ${watched.name} output ---\n${watched.output()}` : ''
    }`,
  );
}
