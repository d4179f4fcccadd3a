import { randomBytes } from 'node:crypto';
import type { ChatTenant } from '../config/chat-tenants.config';
import type { VisitorContactStore } from '../email-fallback/visitor-contact.store';
import { ChatError } from '../shared/chat-error';
import { isUserHashValid } from './identity-verification.util';
import type { RateLimiter } from './rate-limiter';
import { checkedPrechat } from './prechat-form';
import type { TenantDirectory } from './tenant-directory';
import type { VisitorSession, VisitorSessionStore } from './visitor-session.store';

import type { PrechatForm } from './prechat-form';

export interface StartVisitorSessionCommand {
  tenantId: string;
  origin: string | undefined;
  clientIp: string;
  /** A token from an earlier connection: the visitor comes back to the same session. */
  sessionToken?: string;
  /** A logged-in visitor, vouched for by the website. */
  identity?: { userId: string; userHash: string };
  prechat?: PrechatForm;
}

export interface StartedVisitorSession {
  session: VisitorSession;
  tenant: ChatTenant;
  /** Set only for a new session; a resumed one keeps the token the visitor already has. */
  newToken?: string;
}

export interface SessionLimits {
  ipEventsPerMinute: number;
}

/**
 * Admits a visitor socket: known tenant, allowed Origin, within the per-IP rate, and either a
 * valid session token or a new session (verified when the website's identity hash is valid).
 */
export class StartVisitorSessionUseCase {
  constructor(
    private readonly tenants: TenantDirectory,
    private readonly sessions: VisitorSessionStore,
    private readonly rateLimiter: RateLimiter,
    private readonly limits: SessionLimits,
    /** Remembers the pre-chat email by thread (for the email fallback); optional. */
    private readonly contacts?: VisitorContactStore,
  ) {}

  async execute(command: StartVisitorSessionCommand): Promise<StartedVisitorSession> {
    const tenant = this.tenants.find(command.tenantId);
    if (!tenant) throw new ChatError('unknown_tenant', `unknown tenant "${command.tenantId}"`);
    if (!this.tenants.allowsOrigin(tenant, command.origin)) {
      throw new ChatError(
        'origin_not_allowed',
        `origin ${command.origin ?? '(none)'} is not allowed for this tenant`,
      );
    }
    if (!(await this.rateLimiter.allow(`ip:${command.clientIp}`, this.limits.ipEventsPerMinute))) {
      throw new ChatError(
        'rate_limited',
        'too many connections from this address; retry in a minute',
        true,
      );
    }

    if (command.sessionToken !== undefined) {
      const session = await this.sessions.resume(command.sessionToken);
      if (!session || session.tenantId !== tenant.id) {
        throw new ChatError('session_unknown', 'session unknown or expired; start a new one');
      }
      if (command.identity) {
        this.verifyIdentity(tenant, command.identity);
        if (!session.verified || session.visitorId !== command.identity.userId) {
          throw new ChatError('identity_rejected', 'this session belongs to another visitor');
        }
      }
      await this.rememberContact(session);
      return { session, tenant };
    }

    const prechat = command.prechat ? checkedPrechat(tenant, command.prechat) : {};
    let session: VisitorSession;
    if (command.identity) {
      this.verifyIdentity(tenant, command.identity);
      const { userId } = command.identity;
      session = {
        tenantId: tenant.id,
        visitorId: userId,
        threadKey: `user:${userId}`,
        verified: true,
        ...prechat,
      };
    } else {
      const visitorId = `v_${randomBytes(16).toString('hex')}`;
      session = {
        tenantId: tenant.id,
        visitorId,
        threadKey: `visitor:${visitorId}`,
        verified: false,
        ...prechat,
      };
    }
    const newToken = await this.sessions.create(session);
    await this.rememberContact(session);
    return { session, tenant, newToken };
  }

  /** Also on every resumption, which keeps the address as long as the session lives. */
  private async rememberContact(session: VisitorSession): Promise<void> {
    if (!this.contacts || session.email === undefined) return;
    await this.contacts.remember(session.tenantId, session.threadKey, {
      email: session.email,
      ...(session.name !== undefined ? { name: session.name } : {}),
    });
  }

  private verifyIdentity(tenant: ChatTenant, identity: { userId: string; userHash: string }): void {
    if (!tenant.identitySecret) {
      throw new ChatError('identity_rejected', 'this tenant does not verify visitor identities');
    }
    if (!isUserHashValid(tenant.identitySecret, identity.userId, identity.userHash)) {
      throw new ChatError(
        'identity_rejected',
        'identity verification failed: userHash does not match userId',
      );
    }
  }
}
