import type { AddressInfo } from 'node:net';
import PostalMime from 'postal-mime';
import { SMTPServer } from 'smtp-server';

/**
 * A local SMTP server standing in for the outbound relay: it records every message it accepts
 * (envelope, raw bytes, headers parsed by postal-mime) and can be told to answer the next
 * messages with a 4xx or 5xx. Used by tests, benchmarks and the demo; no mail leaves the machine.
 */

export interface RecordedMail {
  envelope: { from: string; to: string[] };
  raw: Buffer;
  /** Header values by lowercase name; a repeated header keeps its first value. */
  headers: Record<string, string>;
  subject?: string;
  text?: string;
  html?: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string;
  receivedAt: Date;
}

export interface RelayRefusal {
  /** An SMTP reply code, 4xx (the sender should retry) or 5xx (it should give up). */
  code: number;
  message?: string;
}

export interface SmtpRelayStandIn {
  readonly host: string;
  readonly port: number;
  /** `smtp://127.0.0.1:<port>`, ready for SMTP_RELAY_URL. */
  readonly url: string;
  /** Every accepted message, in order of arrival. Refused ones are not recorded. */
  readonly messages: RecordedMail[];
  /** How many messages were refused by a scripted failNext() answer. */
  readonly refusedCount: number;
  /** The next `count` messages are refused at the end of DATA with this code. */
  failNext(refusal: RelayRefusal, count?: number): void;
  close(): Promise<void>;
}

export async function startSmtpRelayStandIn(): Promise<SmtpRelayStandIn> {
  const messages: RecordedMail[] = [];
  const scripted: RelayRefusal[] = [];
  let refused = 0;
  const server = new SMTPServer({
    name: 'relay-stand-in.localhost',
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 500,
    onAuth: (_auth, _session, callback) => callback(null, { user: 'stand-in' }),
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const refusal = scripted.shift();
        if (refusal) {
          refused += 1;
          callback(
            Object.assign(new Error(refusal.message ?? `scripted refusal ${refusal.code}`), {
              responseCode: refusal.code,
            }),
          );
          return;
        }
        const raw = Buffer.concat(chunks);
        void record(raw, session.envelope).then(
          (mail) => {
            messages.push(mail);
            callback(null, `2.0.0 queued as stand-in-${messages.length}`);
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  server.on('error', () => undefined); // a client hanging up mid-session is not a test failure
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    get refusedCount() {
      return refused;
    },
    failNext: (refusal, count = 1) => {
      for (let index = 0; index < count; index += 1) scripted.push(refusal);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function record(
  raw: Buffer,
  envelope: { mailFrom: false | { address: string }; rcptTo: { address: string }[] },
): Promise<RecordedMail> {
  const email = await PostalMime.parse(raw);
  const headers: Record<string, string> = {};
  for (const header of email.headers) headers[header.key] ??= header.value;
  return {
    envelope: {
      from: envelope.mailFrom ? envelope.mailFrom.address : '',
      to: envelope.rcptTo.map((rcpt) => rcpt.address),
    },
    raw,
    headers,
    ...(email.subject !== undefined ? { subject: email.subject } : {}),
    ...(email.text !== undefined ? { text: email.text } : {}),
    ...(email.html !== undefined ? { html: email.html } : {}),
    ...(email.messageId !== undefined ? { messageId: email.messageId } : {}),
    ...(email.inReplyTo !== undefined ? { inReplyTo: email.inReplyTo } : {}),
    ...(email.references !== undefined ? { references: email.references } : {}),
    receivedAt: new Date(),
  };
}
