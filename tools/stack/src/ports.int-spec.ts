import { readFile } from 'node:fs/promises';
import * as net from 'node:net';
import { freePort, LOOPBACK } from './ports';

describe('freePort', () => {
  it('hands out distinct, bindable ports below the kernel ephemeral range', async () => {
    const [ephemeralStart] = (await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'))
      .trim()
      .split(/\s+/)
      .map(Number);
    const ports: number[] = [];
    for (let index = 0; index < 40; index += 1) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) {
      // Outgoing connections take ports from the ephemeral range, never from below it.
      expect(port).toBeGreaterThanOrEqual(20_000);
      expect(port).toBeLessThan(ephemeralStart!);
    }
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: LOOPBACK, port: ports[0] }, resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });
});
