import { execFile } from 'node:child_process';
import * as net from 'node:net';

export const LOOPBACK = '127.0.0.1';

/** A TCP port on the loopback interface that nothing listens on right now. */
export async function freePort(): Promise<number> {
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
