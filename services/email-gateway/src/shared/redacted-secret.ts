import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A credential that cannot end up in a log line by accident: JSON serialisation (pino),
 * `util.inspect` (console, errors) and string conversion all print `[redacted]`. Only
 * `reveal()`, called where the credential is handed to its client, gives the value.
 */
export class RedactedSecret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
