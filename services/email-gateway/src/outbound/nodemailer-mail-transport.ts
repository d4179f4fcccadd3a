import { createTransport, type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { SmtpRelaySettings } from '../config/email-gateway.config';
import {
  type MailTransport,
  type OutboundMail,
  type RelayAcceptance,
  RelayDeliveryError,
} from './mail-transport';

/** The one file that knows nodemailer: SMTP to the configured relay, one connection per mail. */
export class NodemailerMailTransport implements MailTransport {
  private readonly transporter: Transporter<SMTPTransport.SentMessageInfo>;

  constructor(settings: SmtpRelaySettings) {
    const target: SMTPTransport.Options =
      'url' in settings
        ? parseRelayUrl(settings.url)
        : {
            host: settings.host,
            port: settings.port,
            secure: settings.secure,
            ...(settings.auth ? { auth: settings.auth } : {}),
          };
    this.transporter = createTransport({
      ...target,
      connectionTimeout: settings.timeoutMs,
      greetingTimeout: settings.timeoutMs,
      socketTimeout: settings.timeoutMs,
    });
  }

  async send(mail: OutboundMail): Promise<RelayAcceptance> {
    try {
      const info = await this.transporter.sendMail({
        envelope: { from: mail.envelopeFrom, to: [mail.to] },
        from: mail.from.name
          ? { name: mail.from.name, address: mail.from.address }
          : mail.from.address,
        to: mail.to,
        replyTo: mail.replyTo,
        subject: mail.subject,
        messageId: mail.messageId,
        ...(mail.inReplyTo ? { inReplyTo: mail.inReplyTo } : {}),
        ...(mail.references.length > 0 ? { references: [...mail.references] } : {}),
        text: mail.text,
        ...(mail.html !== undefined ? { html: mail.html } : {}),
        attachments: mail.attachments.map((attachment) => ({
          filename: attachment.filename,
          contentType: attachment.contentType,
          content: attachment.content,
          ...(attachment.contentId ? { cid: attachment.contentId.replace(/^<|>$/g, '') } : {}),
        })),
        headers: mail.headers,
      });
      // One recipient per mail: a relay that accepted DATA but rejected the recipient says so here.
      if (info.rejected.length > 0)
        throw new RelayDeliveryError(`relay rejected the recipient: ${info.response}`, true);
      return { response: info.response };
    } catch (error) {
      throw toRelayError(error);
    }
  }

  close(): void {
    this.transporter.close();
  }
}

/** `smtp[s]://[user:pass@]host[:port]`: the URL form of the SMTP_RELAY_* parts. */
function parseRelayUrl(url: string): SMTPTransport.Options {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : parsed.protocol === 'smtps:' ? 465 : 587,
    secure: parsed.protocol === 'smtps:',
    ...(parsed.username
      ? {
          auth: {
            user: decodeURIComponent(parsed.username),
            pass: decodeURIComponent(parsed.password),
          },
        }
      : {}),
  };
}

/** SMTP 5xx is permanent; 4xx, refused connections and timeouts are worth another attempt. */
export function toRelayError(error: unknown): RelayDeliveryError {
  if (error instanceof RelayDeliveryError) return error;
  const details = error as { responseCode?: unknown; response?: unknown; code?: unknown };
  const message = error instanceof Error ? error.message : String(error);
  const code = typeof details.responseCode === 'number' ? details.responseCode : undefined;
  const text = typeof details.response === 'string' ? details.response : message;
  if (code !== undefined) return new RelayDeliveryError(text, code >= 500, code);
  const kind = typeof details.code === 'string' ? `${details.code}: ` : '';
  return new RelayDeliveryError(`${kind}${message}`, false);
}
