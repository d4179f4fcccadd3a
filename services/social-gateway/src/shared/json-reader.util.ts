/**
 * Defensive readers for platform payloads. Platforms add fields and types without notice, so a
 * normaliser reads what it knows and treats anything else as absent instead of crashing.
 */
export type JsonObject = Record<string, unknown>;

export function asObject(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as JsonObject)
    : undefined;
}

export function asString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  // Ids and timestamps arrive as numbers on some platforms and as strings on others.
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

export function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) {
    return Number(value);
  }
  return undefined;
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asObjects(value: unknown): JsonObject[] {
  return asArray(value)
    .map(asObject)
    .filter((item): item is JsonObject => item !== undefined);
}

/** Epoch seconds or milliseconds (as number or string) to an ISO timestamp; `fallback` if absent. */
export function epochToIso(
  value: unknown,
  unit: 'seconds' | 'milliseconds',
  fallback: Date,
): string {
  const epoch = asNumber(value);
  if (epoch === undefined) return fallback.toISOString();
  const date = new Date(unit === 'seconds' ? epoch * 1000 : epoch);
  return Number.isNaN(date.getTime()) ? fallback.toISOString() : date.toISOString();
}
