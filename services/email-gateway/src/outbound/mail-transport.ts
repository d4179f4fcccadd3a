/** One outbound mail, fully addressed and threaded; the transport only has to deliver it. */
export interface OutboundMail {
  /** SMTP MAIL FROM (Return-Path): bounces come back to the tenant's support address. */
  envelopeFrom: string;
  from: { name?: string; address: string };
  to: string;
  replyTo: string;
  subject: string;
  messageId: string;
  inReplyTo?: string;
  references: readonly string[];
  text: string;
  html?: string;
  attachments: readonly {
    filename: string;
    contentType: string;
    content: Buffer;
    contentId?: string;
  }[];
  headers: Record<string, string>;
}

export interface RelayAcceptance {
  /** The relay's final reply, e.g. `250 2.0.0 Ok: queued as 4Bz1`. */
  response: string;
}

/**
 * The relay refused or could not be reached. `permanent` (5xx) will never succeed as it is;
 * otherwise (4xx, connection and timeout errors) a later attempt may.
 */
export class RelayDeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    /** The SMTP reply code, when the relay answered with one. */
    readonly smtpCode?: number,
  ) {
    super(message);
    this.name = 'RelayDeliveryError';
  }
}

/** Hands mail to the configured SMTP relay. Rejects only with RelayDeliveryError. */
export interface MailTransport {
  send(mail: OutboundMail): Promise<RelayAcceptance>;
  close(): void;
}
