/** Dependency-injection tokens of the social gateway's interfaces. */
export const SOCIAL_CLOCK = Symbol('SOCIAL_CLOCK');
export const SOCIAL_EVENT_PUBLISHER = Symbol('SOCIAL_EVENT_PUBLISHER');
export const SOCIAL_WIRING = Symbol('SOCIAL_WIRING');
