import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigValidationError } from './config-validation.error';

/**
 * Reads a configuration file named by an environment variable. An unreadable file stops the
 * service with one line naming the variable, the error code and the path.
 */
export function readConfigFile(variable: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigValidationError(variable, `cannot be read (${code}: ${path})`);
  }
}

/**
 * Parses a YAML or JSON configuration document (YAML is a superset of JSON, so one parser reads
 * both) and validates it; the first problem is reported with its path, never with a value, so a
 * secret in the file does not reach the logs.
 */
export function parseConfigDocument<Schema extends z.ZodType>(
  schema: Schema,
  text: string,
  source: string,
): z.output<Schema> {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch {
    throw new ConfigValidationError(source, 'is neither valid YAML nor JSON');
  }
  const result = schema.safeParse(document ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.join('.') || '(root)';
    throw new ConfigValidationError(source, `is invalid: ${where} ${issue?.message ?? ''}`.trim());
  }
  return result.data;
}
