/** Test-only: a crash between two writes, injected into a repository. */
export class SimulatedCrash extends Error {}

/** Fails the named step once, after it did its write. */
export function crashOnceAfter<T extends object>(target: T, method: keyof T & string): T {
  let crashed = false;
  const original = (target[method] as (...args: unknown[]) => Promise<unknown>).bind(target);
  Object.assign(target, {
    [method]: async (...args: unknown[]) => {
      const result = await original(...args);
      if (!crashed) {
        crashed = true;
        throw new SimulatedCrash(`crash after ${method}`);
      }
      return result;
    },
  });
  return target;
}
