/** Redis could not answer: the caller refuses temporarily (HTTP 503, consumer retry). */
export class StateUnavailableError extends Error {
  constructor(operation: string, options?: { cause?: unknown }) {
    super(`state store unavailable during ${operation}`, options);
    this.name = 'StateUnavailableError';
  }
}

export async function orUnavailable<T>(operation: string, task: () => Promise<T>): Promise<T> {
  try {
    return await task();
  } catch (error) {
    throw new StateUnavailableError(operation, { cause: error });
  }
}
