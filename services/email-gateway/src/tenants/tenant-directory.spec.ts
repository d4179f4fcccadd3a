import { inspect } from 'node:util';
import { TenantConfigError, TenantDirectory } from './tenant-directory';

describe('TenantDirectory', () => {
  const directory = TenantDirectory.parse(
    'tenants:\n  - id: acme\n    addresses: [Support@Acme.test]\n  - id: globex\n    domains: [help.globex.test]\n',
    'tenants.yml',
  );

  it('finds the tenant by address (ignoring case and +tags) or by domain, and nothing else', () => {
    expect(directory.tenantFor('support@acme.test')?.id).toBe('acme');
    expect(directory.tenantFor('SUPPORT+abc.def@ACME.test')?.id).toBe('acme');
    expect(directory.tenantFor('anyone@help.globex.test')?.id).toBe('globex');
    expect(directory.tenantFor('sales@acme.test')).toBeUndefined();
    expect(directory.tenantFor('not-an-address')).toBeUndefined();
  });

  it('names the problem in an invalid configuration', () => {
    expect(() => TenantDirectory.parse('tenants: []', 'EMAIL_TENANTS_JSON')).toThrow(
      new TenantConfigError('EMAIL_TENANTS_JSON: tenants must list at least one tenant'),
    );
    expect(() =>
      TenantDirectory.parse(
        '{"tenants":[{"id":"a","addresses":["x@y.test"]},{"id":"b","addresses":["x@y.test"]}]}',
        'f.json',
      ),
    ).toThrow(/x@y.test belongs to both a and b/);
    expect(() => TenantDirectory.parse('tenants: [', 'f.yml')).toThrow(/not valid YAML/);
  });

  describe('IMAP accounts', () => {
    const withImap = (imap: string) =>
      TenantDirectory.parse(
        `tenants:\n  - id: acme\n    addresses: [support@acme.test]\n    domains: [help.acme.test]\n    imap:\n${imap}`,
        'tenants.yml',
      );

    it('applies defaults, derives the port from secure, and ingests for the support address', () => {
      const directory = withImap(
        '      - { id: inbox, host: imap.acme.test, user: support, password: s3cret-imap }\n' +
          '      - { id: plain, host: imap.acme.test, secure: false, user: other, password: x, mailbox: Support, pollIntervalSeconds: 5, address: Anyone@Help.Acme.test }\n',
      );
      const [inbox, plain] = directory.imapAccounts();
      expect(inbox).toMatchObject({
        tenantId: 'acme',
        address: 'support@acme.test',
        account: {
          id: 'inbox',
          port: 993,
          secure: true,
          mailbox: 'INBOX',
          pollIntervalSeconds: 60,
        },
      });
      expect(inbox?.account.password.reveal()).toBe('s3cret-imap');
      expect(plain).toMatchObject({
        address: 'anyone@help.acme.test',
        account: { port: 143, secure: false, mailbox: 'Support', pollIntervalSeconds: 5 },
      });
    });

    it('never prints a password, whether serialised, inspected or interpolated', () => {
      const [entry] = withImap(
        '      - { id: inbox, host: imap.acme.test, user: support, password: s3cret-imap }\n',
      ).imapAccounts();
      expect(JSON.stringify(entry)).not.toContain('s3cret-imap');
      expect(inspect(entry, { depth: 10 })).not.toContain('s3cret-imap');
      expect(`${String(entry?.account.password)}`).toBe('[redacted]');
    });

    it('names the problem in an invalid account', () => {
      expect(() =>
        withImap('      - { id: inbox, host: imap.acme.test, user: support }\n'),
      ).toThrow(/tenants\.0\.imap\.0\.password/);
      expect(() =>
        withImap('      - { id: inbox, host: h.test, user: u, password: p, port: 70000 }\n'),
      ).toThrow(/tenants\.0\.imap\.0\.port/);
      expect(() =>
        withImap(
          '      - { id: inbox, host: h.test, user: u, password: p, address: help@globex.test }\n',
        ),
      ).toThrow(/help@globex\.test is not one of its addresses or domains/);
      expect(() =>
        withImap(
          '      - { id: inbox, host: h.test, user: u, password: p }\n      - { id: inbox, host: h.test, user: v, password: p }\n',
        ),
      ).toThrow(/two IMAP accounts with id inbox/);
    });

    it('refuses one mailbox configured under two tenants', () => {
      expect(() =>
        TenantDirectory.parse(
          JSON.stringify({
            tenants: ['a', 'b'].map((id) => ({
              id,
              addresses: [`support@${id}.test`],
              imap: [{ id: 'inbox', host: 'imap.shared.test', user: 'u', password: 'p' }],
            })),
          }),
          'f.json',
        ),
      ).toThrow(
        /IMAP mailbox imap:\/\/u@imap\.shared\.test:993\/INBOX is configured twice \(a, b\)/,
      );
    });
  });
});
