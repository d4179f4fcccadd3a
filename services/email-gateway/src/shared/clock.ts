/** Time behind an interface, so use cases stamp events deterministically in unit tests. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
