/** A write broke a unique index: the caller decides whether that means "already done". */
export class DuplicateKeyError extends Error {
  constructor(
    readonly collection: string | undefined,
    readonly keyValue: Record<string, unknown> | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      `duplicate key${collection ? ` in ${collection}` : ''}${keyValue ? `: ${JSON.stringify(keyValue)}` : ''}`,
      options,
    );
    this.name = 'DuplicateKeyError';
  }
}

const DUPLICATE_KEY_CODES = new Set([11000, 11001]);

function readProperty(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/**
 * MongoDB and FerretDB both report unique-index violations as code 11000, but through different
 * shapes (driver errors, bulk write errors, errors wrapped by mongoose). This looks through them.
 */
export function isDuplicateKeyError(error: unknown): boolean {
  const code = readProperty(error, 'code');
  if (typeof code === 'number' && DUPLICATE_KEY_CODES.has(code)) return true;
  const writeErrors = readProperty(error, 'writeErrors');
  if (Array.isArray(writeErrors) && writeErrors.some((entry) => isDuplicateKeyError(entry)))
    return true;
  const cause = readProperty(error, 'cause');
  return cause !== undefined && cause !== error && isDuplicateKeyError(cause);
}

/** Runs a write and turns a unique-index violation into a typed DuplicateKeyError. */
export async function translateDuplicateKey<T>(
  write: () => Promise<T>,
  collection?: string,
): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    const keyValue = readProperty(error, 'keyValue');
    throw new DuplicateKeyError(
      collection,
      typeof keyValue === 'object' && keyValue !== null
        ? (keyValue as Record<string, unknown>)
        : undefined,
      { cause: error },
    );
  }
}
