import { SignJWT } from 'jose';

/** The principal the gateway calls other services as: a service, not an agent. */
export const GATEWAY_SUBJECT = 'chat-gateway';
export const GATEWAY_ROLE = 'system';
const TOKEN_LIFETIME_SECONDS = 60;

/**
 * A short-lived HS256 token for one tenant only (claims sub, tenant, roles), so a leaked token
 * reads one tenant for a minute at most.
 */
export function signServiceToken(key: Uint8Array, tenantId: string): Promise<string> {
  return new SignJWT({ tenant: tenantId, roles: [GATEWAY_ROLE], queues: [] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(GATEWAY_SUBJECT)
    .setIssuedAt()
    .setExpirationTime(`${TOKEN_LIFETIME_SECONDS}s`)
    .sign(key);
}
