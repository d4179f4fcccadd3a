/**
 * A failure the user can act on. `message` is a single line saying what went
 * wrong and what to do; `details` (a log tail, usually) is printed after it.
 */
export class StackError extends Error {
  constructor(
    message: string,
    readonly details?: string,
  ) {
    super(message);
    this.name = 'StackError';
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    return error.message.split('\n')[0] ?? error.name;
  }
  return String(error);
}
