import type { Metadata } from '@grpc/grpc-js';
import { errors as joseErrors, jwtVerify } from 'jose';
import { z } from 'zod';
import { UnauthenticatedError } from './grpc-errors';

/**
 * agent: their assignments and queues. supervisor: the whole tenant. system: another Switchboard
 * service acting for the tenant (the chat gateway loading a visitor's history, asking the router
 * for a wait estimate); it may read across the tenant but not act as an agent.
 */
export const ROLES = ['agent', 'supervisor', 'system'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, from a verified bearer token. */
export interface Principal {
  agentId: string;
  tenantId: string;
  roles: readonly Role[];
  /** Queues the agent works in (claim `queues`); supervisors see every queue regardless. */
  queueIds: readonly string[];
}

const claimsSchema = z.object({
  sub: z.string().min(1),
  tenant: z.string().min(1),
  roles: z.array(z.string()).default([]),
  queues: z.array(z.string()).default([]),
});

/** Shortest HS256 secret accepted: 256 bits, as RFC 7518 §3.2 requires. */
export const MIN_JWT_SECRET_BYTES = 32;

export interface JwtAuthenticatorOptions {
  /** HS256 shared secret (at least 32 bytes). */
  secret: string;
  issuer?: string;
  audience?: string;
  /** Tolerated clock difference with the token issuer. Default 30 s. */
  clockToleranceSeconds?: number;
}

/** Verifies `authorization: Bearer <jwt>` metadata (HS256) into a Principal. */
export class JwtAuthenticator {
  private readonly key: Uint8Array;

  constructor(private readonly options: JwtAuthenticatorOptions) {
    this.key = new TextEncoder().encode(options.secret);
    if (this.key.byteLength < MIN_JWT_SECRET_BYTES) {
      throw new Error(`the JWT secret must be at least ${MIN_JWT_SECRET_BYTES} bytes`);
    }
  }

  async authenticate(metadata: Metadata | undefined): Promise<Principal> {
    const header = metadata?.get('authorization')[0];
    if (typeof header !== 'string' || header.length === 0) {
      throw new UnauthenticatedError('missing bearer token (metadata "authorization")');
    }
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw new UnauthenticatedError('authorization must be "Bearer <token>"');
    return this.verifyToken(match[1]);
  }

  async verifyToken(token: string): Promise<Principal> {
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        issuer: this.options.issuer,
        audience: this.options.audience,
        clockTolerance: this.options.clockToleranceSeconds ?? 30,
      }));
    } catch (error) {
      const reason =
        error instanceof joseErrors.JWTExpired ? 'token expired' : 'token is not valid';
      throw new UnauthenticatedError(reason);
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) {
      throw new UnauthenticatedError('token lacks the claims sub, tenant (strings)');
    }
    return {
      agentId: claims.data.sub,
      tenantId: claims.data.tenant,
      roles: claims.data.roles.filter((role): role is Role =>
        (ROLES as readonly string[]).includes(role),
      ),
      queueIds: claims.data.queues,
    };
  }
}

export function isSupervisor(principal: Principal): boolean {
  return principal.roles.includes('supervisor');
}

/** A service-to-service caller: reads across its tenant, never writes as an agent. */
export function isSystem(principal: Principal): boolean {
  return principal.roles.includes('system');
}
