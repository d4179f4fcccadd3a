import { readFileSync } from 'node:fs';
import { z } from '@switchboard/config';
import { parse as parseYaml } from 'yaml';
import { RedactedSecret } from '../shared/redacted-secret';

const emailAddress = z
  .string()
  .regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, { error: 'must be an email address' })
  .transform((value) => value.toLowerCase());
const domain = z
  .string()
  .regex(/^[a-z0-9.-]+\.[a-z0-9-]+$/i, { error: 'must be a domain name' })
  .transform((value) => value.toLowerCase());

const identifier = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, { error: 'must be an id of 1-64 characters [A-Za-z0-9._-]' });

/** A mailbox that cannot forward to our SMTP server, polled over IMAP (inbound/imap). */
const imapAccountSchema = z
  .object({
    /** Stable within the tenant: the checkpoint (UIDVALIDITY + last UID) is kept under it. */
    id: identifier,
    host: z.string().min(1, { error: 'must name the IMAP server' }),
    /** Default 993 when secure, else 143. */
    port: z.number().int().min(1).max(65535).optional(),
    /** true: TLS from the first byte (993); false: STARTTLS when the server offers it. */
    secure: z.boolean().default(true),
    user: z.string().min(1, { error: 'must be set' }),
    password: z
      .string()
      .min(1, { error: 'must be set' })
      .transform((value) => new RedactedSecret(value)),
    mailbox: z.string().min(1).default('INBOX'),
    /** Full re-check interval; with IDLE new mail arrives at once and this is only the fallback. */
    pollIntervalSeconds: z.number().int().min(1).max(86_400).default(60),
    /** The support address this mailbox receives for; default the tenant's support address. */
    address: emailAddress.optional(),
    /** Move imported mail to this folder (it must exist); by default it is flagged \\Seen. */
    moveTo: z.string().min(1).optional(),
  })
  .transform((account) => ({ ...account, port: account.port ?? (account.secure ? 993 : 143) }));

export type ImapAccountConfig = z.infer<typeof imapAccountSchema>;

const tenantSchema = z.object({
  id: identifier,
  /** Support addresses that belong to the tenant (plus-tags are accepted on them). */
  addresses: z.array(emailAddress).default([]),
  /** Whole domains whose every address belongs to the tenant. */
  domains: z.array(domain).default([]),
  /** From and Reply-To base of outbound mail; defaults to the first address. */
  fromAddress: emailAddress.optional(),
  fromName: z.string().optional(),
  imap: z.array(imapAccountSchema).default([]),
});

export const tenantsFileSchema = z
  .object({ tenants: z.array(tenantSchema).min(1, { error: 'must list at least one tenant' }) })
  .superRefine((file, context) => {
    const owners = new Map<string, string>();
    for (const tenant of file.tenants) {
      if (tenant.addresses.length === 0 && tenant.domains.length === 0) {
        context.addIssue({
          code: 'custom',
          message: `tenant ${tenant.id} has no addresses or domains`,
        });
      }
      for (const key of [...tenant.addresses, ...tenant.domains.map((d) => `@${d}`)]) {
        const owner = owners.get(key);
        if (owner !== undefined && owner !== tenant.id) {
          context.addIssue({
            code: 'custom',
            message: `${key} belongs to both ${owner} and ${tenant.id}`,
          });
        }
        owners.set(key, tenant.id);
      }
      const accountIds = new Set<string>();
      for (const account of tenant.imap) {
        if (accountIds.has(account.id))
          context.addIssue({
            code: 'custom',
            message: `tenant ${tenant.id} has two IMAP accounts with id ${account.id}`,
          });
        accountIds.add(account.id);
        // Mail of one mailbox must never be imported under two tenants.
        const mailboxKey = `imap://${account.user}@${account.host}:${account.port}/${account.mailbox}`;
        const owner = owners.get(mailboxKey);
        if (owner !== undefined)
          context.addIssue({
            code: 'custom',
            message: `IMAP mailbox ${mailboxKey} is configured twice (${owner}, ${tenant.id})`,
          });
        owners.set(mailboxKey, tenant.id);
        if (account.address !== undefined && !belongsTo(tenant, account.address))
          context.addIssue({
            code: 'custom',
            message: `IMAP account ${account.id} of tenant ${tenant.id}: ${account.address} is not one of its addresses or domains`,
          });
      }
    }
  });

function belongsTo(tenant: { addresses: string[]; domains: string[] }, address: string): boolean {
  return (
    tenant.addresses.includes(address) ||
    tenant.domains.includes(address.slice(address.lastIndexOf('@') + 1))
  );
}

export type TenantMailConfig = z.infer<typeof tenantSchema>;
/** A tenant as code builds it (tests, benchmarks): without IMAP accounts unless given. */
export type TenantMailInput = Omit<TenantMailConfig, 'imap'> & { imap?: ImapAccountConfig[] };

/** Used by `npm start` when nothing is configured: one demo tenant on a domain that is never public. */
export const LOCAL_DEFAULT_TENANTS = JSON.stringify({
  tenants: [
    { id: 'demo', addresses: ['support@demo.switchboard.localhost'], fromName: 'Demo Support' },
  ],
});

export class TenantConfigError extends Error {}

/** Which tenant a recipient address belongs to, by exact address (ignoring +tags) or domain. */
export class TenantDirectory {
  private readonly byAddress = new Map<string, TenantMailConfig>();
  private readonly byDomain = new Map<string, TenantMailConfig>();
  private readonly byId = new Map<string, TenantMailConfig>();

  constructor(tenantInputs: readonly TenantMailInput[]) {
    for (const input of tenantInputs) {
      const tenant: TenantMailConfig = { ...input, imap: input.imap ?? [] };
      this.byId.set(tenant.id, tenant);
      for (const address of tenant.addresses) this.byAddress.set(address, tenant);
      for (const name of tenant.domains) this.byDomain.set(name, tenant);
    }
  }

  /** Parses YAML or JSON text of the shape `{ tenants: [...] }`; throws naming the problem. */
  static parse(text: string, source: string): TenantDirectory {
    let data: unknown;
    try {
      data = parseYaml(text) as unknown;
    } catch (error) {
      throw new TenantConfigError(`${source} is not valid YAML/JSON: ${(error as Error).message}`);
    }
    const result = tenantsFileSchema.safeParse(data);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new TenantConfigError(
        `${source}: ${issue ? `${issue.path.join('.') || '(root)'} ${issue.message}` : 'invalid'}`,
      );
    }
    return new TenantDirectory(result.data.tenants);
  }

  static load(options: { file?: string; inlineJson?: string }): TenantDirectory {
    if (options.file !== undefined) {
      let text: string;
      try {
        text = readFileSync(options.file, 'utf8');
      } catch (error) {
        throw new TenantConfigError(`cannot read ${options.file}: ${(error as Error).message}`);
      }
      return TenantDirectory.parse(text, options.file);
    }
    return TenantDirectory.parse(options.inlineJson ?? LOCAL_DEFAULT_TENANTS, 'EMAIL_TENANTS_JSON');
  }

  tenantFor(recipient: string): TenantMailConfig | undefined {
    const address = recipient.trim().toLowerCase().replace(/^<|>$/g, '');
    const at = address.lastIndexOf('@');
    if (at <= 0) return undefined;
    const local = address.slice(0, at).split('+')[0] ?? '';
    const host = address.slice(at + 1);
    return this.byAddress.get(`${local}@${host}`) ?? this.byDomain.get(host);
  }

  tenant(id: string): TenantMailConfig | undefined {
    return this.byId.get(id);
  }

  /** Every IMAP account of every tenant, with the address its mail is ingested for. */
  imapAccounts(): { tenantId: string; address: string; account: ImapAccountConfig }[] {
    return [...this.byId.values()].flatMap((tenant) =>
      tenant.imap.map((account) => ({
        tenantId: tenant.id,
        address: account.address ?? this.supportAddress(tenant),
        account,
      })),
    );
  }

  /** The address outbound mail of a tenant is sent from and replied to. */
  supportAddress(tenant: TenantMailConfig): string {
    return tenant.fromAddress ?? tenant.addresses[0] ?? `support@${tenant.domains[0] ?? 'invalid'}`;
  }
}
