import { type z } from 'zod';
import { ConfigValidationError } from './config-validation.error';

export type EnvSource = Record<string, string | undefined>;

/** Values of variables whose names look secret are never echoed back in errors. */
const SECRET_NAME = /SECRET|TOKEN|PASSWORD|KEY|CREDENTIAL/i;

function describeValue(name: string, value: string): string {
  if (SECRET_NAME.test(name)) return '(value hidden)';
  const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
  return `(got ${JSON.stringify(shown)})`;
}

/**
 * Validates the environment against a schema whose keys are variable names, once at start-up,
 * into a typed object. The first problem found is reported as a ConfigValidationError naming the
 * variable, so a service can stop with one clear line.
 */
export function loadConfig<Shape extends z.ZodRawShape>(
  schema: z.ZodObject<Shape>,
  source: EnvSource = process.env,
): z.infer<z.ZodObject<Shape>> {
  const input: Record<string, string | undefined> = {};
  for (const name of Object.keys(schema.shape)) {
    const raw = source[name];
    // An empty variable means "not set": `FOO= node main.js` must not count as a value.
    input[name] = raw === undefined || raw.trim() === '' ? undefined : raw.trim();
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;

  const issue = result.error.issues[0];
  const variable = issue ? String(issue.path[0] ?? '(unknown)') : '(unknown)';
  const raw = input[variable];
  if (raw === undefined) throw new ConfigValidationError(variable, 'is required but not set');
  const reason = issue?.message ?? 'is invalid';
  throw new ConfigValidationError(variable, `${reason} ${describeValue(variable, raw)}`);
}
