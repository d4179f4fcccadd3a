import type { ChatTenant } from '../config/chat-tenants.config';
import type { VisitorContactStore } from '../email-fallback/visitor-contact.store';
import { ChatError } from '../shared/chat-error';
import { checkedPrechat, type PrechatForm } from './prechat-form';
import type { RateLimiter } from './rate-limiter';
import type { VisitorSession, VisitorSessionStore } from './visitor-session.store';

export interface SubmitPrechatCommand {
  session: VisitorSession;
  sessionToken: string;
  tenant: ChatTenant;
  clientIp: string;
  form: PrechatForm;
}

/**
 * The pre-chat form sent after the socket connected (the widget learns the tenant's topics from
 * the session event). The fields replace earlier answers; later messages carry them.
 */
export class SubmitPrechatUseCase {
  constructor(
    private readonly sessions: VisitorSessionStore,
    private readonly rateLimiter: RateLimiter,
    private readonly limits: { ipEventsPerMinute: number },
    /** Remembers the email by thread for the email fallback; absent when that is off. */
    private readonly contacts?: VisitorContactStore,
  ) {}

  async execute(command: SubmitPrechatCommand): Promise<VisitorSession> {
    const form = checkedPrechat(command.tenant, command.form);
    if (!(await this.rateLimiter.allow(`ip:${command.clientIp}`, this.limits.ipEventsPerMinute))) {
      throw new ChatError('rate_limited', 'too many requests; wait a moment and send again', true);
    }
    const { name: _name, email: _email, topic: _topic, ...identity } = command.session;
    const session: VisitorSession = { ...identity, ...form };
    if (!(await this.sessions.update(command.sessionToken, session))) {
      throw new ChatError('session_unknown', 'session unknown or expired; start a new one');
    }
    if (this.contacts && session.email !== undefined) {
      await this.contacts.remember(session.tenantId, session.threadKey, {
        email: session.email,
        ...(session.name !== undefined ? { name: session.name } : {}),
      });
    }
    return session;
  }
}
