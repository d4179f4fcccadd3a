import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { IngestMailUseCase } from '../inbound/ingest-mail.usecase';
import type { TenantDirectory } from '../tenants/tenant-directory';

export interface SmtpInboundOptions {
  port: number;
  host: string;
  maxMessageBytes: number;
  tlsKeyFile?: string;
  tlsCertFile?: string;
  /** How long close() lets open sessions finish before cutting them. */
  closeTimeoutMs?: number;
}

/** An SMTP reply code as smtp-server expects it on the error passed to a callback. */
function smtpError(responseCode: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode });
}

/**
 * The inbound SMTP server a real MTA delivers to. Accepts only recipients of configured tenants
 * (550 otherwise), one tenant per transaction (452 asks the sender to send the rest separately),
 * enforces the size limit (552) and answers 250 only after the message is on Kafka; while a
 * dependency is unavailable it answers 451 so the sender retries later.
 */
export class SmtpInboundServer {
  private readonly server: SMTPServer;
  private readonly tenantOfSession = new Map<string, string>();

  constructor(
    private readonly options: SmtpInboundOptions,
    private readonly tenants: TenantDirectory,
    private readonly ingest: IngestMailUseCase,
    private readonly logger: Logger,
  ) {
    const tls =
      options.tlsKeyFile && options.tlsCertFile
        ? { key: readFileSync(options.tlsKeyFile), cert: readFileSync(options.tlsCertFile) }
        : undefined;
    this.server = new SMTPServer({
      name: 'switchboard-email-gateway',
      banner: 'Switchboard email gateway',
      size: options.maxMessageBytes,
      authOptional: true,
      disabledCommands: tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
      ...(tls ?? {}),
      logger: false,
      closeTimeout: options.closeTimeoutMs ?? 3_000,
      onRcptTo: (address, session, callback) => {
        const tenant = this.tenants.tenantFor(address.address);
        if (!tenant) {
          callback(smtpError(550, `5.1.1 <${address.address}>: no such support mailbox here`));
          return;
        }
        const current = this.tenantOfSession.get(session.id);
        if (current !== undefined && current !== tenant.id) {
          callback(smtpError(452, '4.5.3 one organisation per message; send the rest separately'));
          return;
        }
        this.tenantOfSession.set(session.id, tenant.id);
        callback();
      },
      onData: (stream, session, callback) => {
        void this.receive(stream, session).then(
          (reply) => callback(null, reply),
          (error: Error) => callback(error),
        );
      },
      onClose: (session) => {
        this.tenantOfSession.delete(session.id);
      },
    });
    this.server.on('error', (error) => this.logger.warn({ err: error }, 'smtp server error'));
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        const address = this.server.server.address();
        resolve(typeof address === 'object' && address ? address.port : this.options.port);
      });
    });
  }

  /** Stops accepting connections and lets open sessions finish (up to closeTimeoutMs). */
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async receive(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    if (stream.sizeExceeded) {
      throw smtpError(552, `5.3.4 message exceeds the ${this.options.maxMessageBytes}-byte limit`);
    }
    const tenantId = this.tenantOfSession.get(session.id);
    if (tenantId === undefined) throw smtpError(503, '5.5.1 no valid recipients');
    // Reset the session's tenant for the next transaction on the same connection.
    this.tenantOfSession.delete(session.id);
    const raw = Buffer.concat(chunks);
    try {
      const outcome = await this.ingest.execute({
        raw,
        tenantId,
        recipients: session.envelope.rcptTo.map((rcpt) => rcpt.address),
        origin: {
          clientIp: session.remoteAddress,
          helo: session.hostNameAppearsAs,
          ...(session.envelope.mailFrom ? { mailFrom: session.envelope.mailFrom.address } : {}),
        },
        source: 'smtp',
        receivedAt: new Date(),
      });
      if (outcome.kind === 'rejected') {
        throw smtpError(554, `5.6.0 message not accepted: ${outcome.reason}`);
      }
      return `2.0.0 queued as ${outcome.envelope.messageId}`;
    } catch (error) {
      if (typeof (error as { responseCode?: unknown }).responseCode === 'number') throw error;
      // Kafka, Redis or the archive is unavailable: the sender keeps the mail and retries.
      this.logger.warn({ err: error, tenantId }, 'inbound mail refused temporarily');
      throw smtpError(451, '4.3.0 temporarily unable to accept mail; please retry');
    }
  }
}
