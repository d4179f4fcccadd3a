import { Resolver } from 'node:dns/promises';
import { authenticate, type DNSResolver } from 'mailauth';

export interface SmtpOrigin {
  clientIp: string;
  helo?: string;
  mailFrom?: string;
}

/** SPF/DKIM/DMARC verdicts, e.g. `{ spf: 'pass', dkim: 'none', dmarc: 'fail' }`. */
export type AuthenticityVerdicts = Record<string, string>;

export interface MailAuthenticator {
  verify(raw: Buffer, origin: SmtpOrigin): Promise<AuthenticityVerdicts>;
}

export const MAIL_AUTHENTICATOR = Symbol('MAIL_AUTHENTICATOR');

/**
 * A DNS resolver that never hangs: one try with a short timeout. Offline it fails within the
 * timeout and mailauth reports temperror instead of blocking the SMTP transaction.
 */
export function boundedSystemResolver(timeoutMs = 1_500): DNSResolver {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  return async (name, rrtype) => {
    switch (rrtype) {
      case 'TXT':
        return resolver.resolveTxt(name);
      case 'MX':
        return (await resolver.resolveMx(name)).map((mx) => mx.exchange);
      case 'A':
        return resolver.resolve4(name);
      case 'AAAA':
        return resolver.resolve6(name);
      default:
        return resolver.resolve(name, rrtype) as Promise<string[]>;
    }
  };
}

/** Answers only from the given records; everything else is NXDOMAIN at once (tests, offline). */
export function stubResolver(records: Record<string, string[][] | string[]>): DNSResolver {
  return (name, rrtype) => {
    const answer = records[`${rrtype} ${name.toLowerCase()}`];
    if (answer) return Promise.resolve(answer);
    return Promise.reject(
      Object.assign(new Error(`${name} ${rrtype} not found`), { code: 'ENOTFOUND' }),
    );
  };
}

export class MailauthAuthenticator implements MailAuthenticator {
  constructor(
    private readonly resolver: DNSResolver,
    private readonly mta: string,
    private readonly deadlineMs = 5_000,
  ) {}

  async verify(raw: Buffer, origin: SmtpOrigin): Promise<AuthenticityVerdicts> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<AuthenticityVerdicts>((resolve) => {
      timer = setTimeout(
        () => resolve({ spf: 'temperror', dkim: 'temperror', dmarc: 'temperror' }),
        this.deadlineMs,
      );
    });
    try {
      return await Promise.race([this.run(raw, origin), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async run(raw: Buffer, origin: SmtpOrigin): Promise<AuthenticityVerdicts> {
    try {
      const result = await authenticate(raw, {
        ip: origin.clientIp,
        helo: origin.helo,
        sender: origin.mailFrom,
        mta: this.mta,
        resolver: this.resolver,
        disableArc: true,
      });
      const dkimResults = result.dkim?.results ?? [];
      const dkim =
        dkimResults.find((entry) => entry.status.result === 'pass')?.status.result ??
        dkimResults[0]?.status.result ??
        'none';
      const spf = result.spf === false || !result.spf ? 'none' : result.spf.status.result;
      const dmarc = result.dmarc === false || !result.dmarc ? 'none' : result.dmarc.status.result;
      return { spf, dkim, dmarc };
    } catch {
      return { spf: 'temperror', dkim: 'temperror', dmarc: 'temperror' };
    }
  }
}
