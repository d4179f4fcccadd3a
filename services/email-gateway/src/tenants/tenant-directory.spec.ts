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
});
