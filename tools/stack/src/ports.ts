import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as net from 'node:net';

export const LOOPBACK = '127.0.0.1';

/** Lowest port freePort hands out; below it sit well-known and registered service ports. */
const LOWEST_PICKED_PORT = 20_000;
/** Ports this process handed out already: two callers never get the same one. */
const handedOut = new Set<number>();

/**
 * A TCP port on the loopback interface that nothing listens on right now, for a server a test
 * starts a moment later. Picked below the kernel's ephemeral range: a port the kernel chose for
 * `listen(0)` is one it also gives to outgoing connections, so a client connecting meanwhile (a
 * Kafka broker starting beside it) could take it before the server binds. Falls back to the
 * kernel's choice where the range is unknown.
 */
export async function freePort(): Promise<number> {
  const ephemeralStart = await ephemeralRangeStart();
  if (ephemeralStart !== undefined && ephemeralStart - LOWEST_PICKED_PORT >= 1_000) {
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const port = randomInt(LOWEST_PICKED_PORT, ephemeralStart);
      if (handedOut.has(port) || !(await isPortFree(port))) continue;
      handedOut.add(port);
      return port;
    }
  }
  return kernelChosenPort();
}

async function ephemeralRangeStart(): Promise<number | undefined> {
  try {
    const range = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8');
    const start = Number(range.trim().split(/\s+/)[0]);
    return Number.isInteger(start) && start > 0 ? start : undefined;
  } catch {
    return undefined;
  }
}

function kernelChosenPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host: LOOPBACK, port: 0 }, () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not determine a free port'));
      });
    });
  });
}

export async function isPortFree(port: number, host = LOOPBACK): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') resolve(false);
      else reject(error);
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** "java (pid 123)" when `ss` can tell who listens on the port, otherwise a vaguer phrase. */
export async function describePortOwner(port: number): Promise<string> {
  const output = await new Promise<string>((resolve) => {
    execFile('ss', ['-Hltnp', `sport = :${port}`], { timeout: 3000 }, (error, stdout) =>
      resolve(error ? '' : stdout),
    );
  });
  const match = /users:\(\("([^"]+)",pid=(\d+)/.exec(output);
  return match ? `${match[1]} (pid ${match[2]})` : 'another process';
}
