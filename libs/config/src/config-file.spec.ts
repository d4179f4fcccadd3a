import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { parseConfigDocument, readConfigFile } from './config-file';

const schema = z.object({ tenants: z.array(z.object({ id: z.string(), secret: z.string() })) });

describe('configuration files', () => {
  it('reads a file, and names the variable, code and path when it cannot', () => {
    const directory = mkdtempSync(join(tmpdir(), 'config-file-'));
    const path = join(directory, 'tenants.yaml');
    writeFileSync(path, 'tenants: []\n');
    expect(readConfigFile('TENANTS_FILE', path)).toBe('tenants: []\n');
    expect(() => readConfigFile('TENANTS_FILE', join(directory, 'missing.yaml'))).toThrow(
      /TENANTS_FILE.*cannot be read \(ENOENT: .*missing\.yaml\)/,
    );
  });

  it('parses YAML and JSON alike and reports the first problem by path, never by value', () => {
    expect(parseConfigDocument(schema, 'tenants:\n  - { id: a, secret: s }\n', 'F')).toEqual({
      tenants: [{ id: 'a', secret: 's' }],
    });
    expect(parseConfigDocument(schema, '{"tenants": []}', 'F')).toEqual({ tenants: [] });
    expect(() => parseConfigDocument(schema, 'tenants: [', 'F')).toThrow(
      /F.*is neither valid YAML nor JSON/,
    );
    const invalid = () => parseConfigDocument(schema, 'tenants:\n  - { id: a, secret: 42 }\n', 'F');
    expect(invalid).toThrow(/F.*is invalid: tenants\.0\.secret/);
    expect(invalid).not.toThrow(/42/);
  });
});
