import { ImapFlow } from 'imapflow';
import type { Logger } from 'pino';
import type { ImapAccountConfig } from '../../tenants/tenant-directory';
import { ImapflowMailbox, type ProcessedAction } from './imapflow.mailbox';
import type { PollImapMailboxUseCase } from './poll-imap-mailbox.usecase';

export interface ImapAccountPollerOptions {
  tenantId: string;
  /** The support address the mailbox receives for (the ingested mail's recipient). */
  address: string;
  account: ImapAccountConfig;
  poll: PollImapMailboxUseCase;
  logger: Logger;
  /** First reconnect delay after a failure; doubles per consecutive failure up to the cap. */
  retryBaseMs: number;
  retryMaxDelayMs: number;
  /** TCP/TLS connect and greeting budget of one connection attempt. */
  connectionTimeoutMs: number;
}

/** Exponential backoff: base, 2·base, 4·base … capped. */
export function reconnectDelayMs(failures: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(failures - 1, 30)));
}

/**
 * Keeps one IMAP mailbox imported: connect, (re)select, run a poll pass (PollImapMailboxUseCase,
 * which checkpoints each mail only once it is on Kafka), then wait for news — IDLE when the
 * server advertises it (an EXISTS wakes the poller at once), otherwise the poll interval; the
 * interval also bounds an IDLE wait, in case a notification is missed. Any failure (server down,
 * wrong password, Kafka or Redis unavailable) drops the connection and retries with backoff;
 * since the checkpoint only moves after Kafka has the mail, a retry resumes where it stopped.
 * `stop()` lets the mail in hand finish, then logs out.
 */
export class ImapAccountPoller {
  private readonly stopSignal = new AbortController();
  private readonly logger: Logger;
  private readonly processedAction: ProcessedAction;
  private running: Promise<void> | undefined;
  /** Ends the current wait (IDLE, poll interval or backoff) early. */
  private wakeUp: (() => void) | undefined;
  /** Set by EXISTS notifications that arrive while a pass runs, so no news is missed. */
  private newsPending = false;

  constructor(private readonly options: ImapAccountPollerOptions) {
    const { account, tenantId } = options;
    // Identifies the account for operators without ever naming the password.
    this.logger = options.logger.child({
      tenantId,
      imapAccount: account.id,
      imapHost: account.host,
      imapUser: account.user,
      imapMailbox: account.mailbox,
    });
    this.processedAction =
      account.moveTo !== undefined ? { kind: 'move', folder: account.moveTo } : { kind: 'seen' };
  }

  start(): void {
    this.running ??= this.keepImporting();
  }

  /** Resolves once the current mail (if any) is on Kafka and checkpointed and the session ended. */
  async stop(): Promise<void> {
    this.stopSignal.abort();
    this.wakeUp?.();
    await this.running;
  }

  private get stopping(): boolean {
    return this.stopSignal.signal.aborted;
  }

  /** Never rejects: every failure is logged and retried until stop(). */
  private async keepImporting(): Promise<void> {
    let consecutiveFailures = 0;
    while (!this.stopping) {
      try {
        await this.runSession(() => {
          consecutiveFailures = 0;
        });
      } catch (error) {
        if (this.stopping) break;
        consecutiveFailures += 1;
        const retryInMs = reconnectDelayMs(
          consecutiveFailures,
          this.options.retryBaseMs,
          this.options.retryMaxDelayMs,
        );
        this.logger.warn(
          { err: describeError(error), consecutiveFailures, retryInMs },
          'IMAP import failed; retrying',
        );
        await this.waitUpTo(retryInMs);
      }
    }
  }

  private async runSession(onPassCompleted: () => void): Promise<void> {
    const { account } = this.options;
    const client = new ImapFlow({
      host: account.host,
      port: account.port,
      secure: account.secure,
      auth: { user: account.user, pass: account.password.reveal() },
      logger: false,
      // The poller decides when to IDLE; imapflow's own auto-IDLE would race its commands.
      disableAutoIdle: true,
      connectionTimeout: this.options.connectionTimeoutMs,
      greetingTimeout: this.options.connectionTimeoutMs,
    });
    let connectionClosed = false;
    // Without a listener imapflow's 'error' would crash the process; the failing command rejects.
    client.on('error', (error: Error) =>
      this.logger.debug({ err: describeError(error) }, 'IMAP connection error'),
    );
    client.on('close', () => {
      connectionClosed = true;
      this.wakeUp?.();
    });
    client.on('exists', () => {
      this.newsPending = true;
      this.wakeUp?.();
    });
    try {
      await client.connect();
      const supportsIdle = client.capabilities.has('IDLE');
      this.logger.info({ idle: supportsIdle }, 'IMAP connected');
      while (!this.stopping) {
        this.newsPending = false;
        // SELECT before every pass: a server rarely announces a new UIDVALIDITY (a recreated
        // mailbox) to a session that already has the mailbox selected.
        await client.mailboxOpen(account.mailbox);
        const result = await this.options.poll.execute({
          tenantId: this.options.tenantId,
          accountId: account.id,
          address: this.options.address,
          mailbox: new ImapflowMailbox(client, this.processedAction),
          signal: this.stopSignal.signal,
        });
        onPassCompleted();
        if (result.ingested > 0 || result.rescanned)
          this.logger.info({ ...result }, 'IMAP mail imported');
        if (connectionClosed) throw new Error('the IMAP server closed the connection');
        if (this.stopping || this.newsPending) continue;
        await this.waitForNews(client, supportsIdle);
        if (connectionClosed) throw new Error('the IMAP server closed the connection');
      }
    } finally {
      if (client.usable) await client.logout().catch(() => client.close());
      else client.close();
    }
  }

  /** IDLE (or just wait) until an EXISTS, the poll interval, a closed connection or stop(). */
  private async waitForNews(client: ImapFlow, supportsIdle: boolean): Promise<void> {
    const idling = supportsIdle
      ? client.idle().catch((error: unknown) => {
          this.logger.debug({ err: describeError(error) }, 'IMAP IDLE ended with an error');
          return false;
        })
      : undefined;
    await this.waitUpTo(this.options.account.pollIntervalSeconds * 1000);
    if (idling === undefined) return;
    // Any command ends IDLE (imapflow sends DONE first); NOOP also collects pending updates.
    if (client.usable) await client.noop();
    await idling;
  }

  private waitUpTo(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        if (this.wakeUp === finish) this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.wakeUp = finish;
      if (this.stopping || this.newsPending) finish();
    });
  }
}

/** The error's message and IMAP details, never the client options (which hold the password). */
function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const details = error as Error & {
    code?: unknown;
    responseText?: unknown;
    serverResponseCode?: unknown;
    authenticationFailed?: unknown;
  };
  return {
    type: error.name,
    message: error.message,
    ...(details.code !== undefined ? { code: details.code } : {}),
    ...(details.responseText !== undefined ? { responseText: details.responseText } : {}),
    ...(details.serverResponseCode !== undefined
      ? { serverResponseCode: details.serverResponseCode }
      : {}),
    ...(details.authenticationFailed === true ? { authenticationFailed: true } : {}),
  };
}
