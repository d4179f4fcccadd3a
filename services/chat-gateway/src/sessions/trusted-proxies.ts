import { BlockList, isIP } from 'node:net';

/** `::ffff:192.0.2.1` (an IPv4 peer on a dual-stack socket) is the IPv4 address it carries. */
function normalise(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped?.[1] ?? address;
}

/** One entry: an IP address or a CIDR range; undefined when it is neither. */
function parseEntry(
  entry: string,
): { address: string; prefix?: number; type: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', prefixText, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return undefined;
  const type = version === 4 ? 'ipv4' : 'ipv6';
  if (prefixText === undefined) return { address, type };
  const prefix = Number(prefixText);
  const max = version === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefixText) || prefix > max) return undefined;
  return { address, prefix, type };
}

/** The entries of a comma-separated CHAT_TRUSTED_PROXIES value that are not valid. */
export function invalidTrustedProxyEntries(value: string): string[] {
  return splitList(value).filter((entry) => parseEntry(entry) === undefined);
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}

/**
 * The reverse proxies (load balancers, ingress) whose X-Forwarded-For is believed. Without any,
 * the header is ignored: anyone could send it and pick a fresh per-IP budget for every request.
 */
export class TrustedProxies {
  private readonly list = new BlockList();
  private readonly count: number;

  /** `value`: comma-separated IP addresses and CIDR ranges (validated at start-up). */
  constructor(value: string) {
    const entries = splitList(value);
    for (const entry of entries) {
      const parsed = parseEntry(entry);
      if (!parsed) throw new Error(`invalid trusted proxy "${entry}"`);
      if (parsed.prefix === undefined) this.list.addAddress(parsed.address, parsed.type);
      else this.list.addSubnet(parsed.address, parsed.prefix, parsed.type);
    }
    this.count = entries.length;
  }

  trusts(address: string): boolean {
    const normalised = normalise(address);
    const version = isIP(normalised);
    if (this.count === 0 || version === 0) return false;
    return this.list.check(normalised, version === 4 ? 'ipv4' : 'ipv6');
  }

  /**
   * The client's address: the direct peer, unless the peer is trusted; then X-Forwarded-For is
   * read from the right (each proxy appends the peer it saw), skipping trusted hops, and the
   * first untrusted address is the client. Entries left of it are whatever the client claimed
   * and are never used. A malformed entry ends the walk at the last trusted hop.
   */
  clientAddress(peer: string, forwardedFor: string | string[] | undefined): string {
    let hop = normalise(peer);
    if (forwardedFor === undefined || !this.trusts(hop)) return hop;
    const chain = splitList(Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor);
    for (const entry of chain.reverse()) {
      const address = normalise(entry);
      if (isIP(address) === 0) return hop;
      if (!this.trusts(address)) return address;
      hop = address;
    }
    return hop;
  }
}
