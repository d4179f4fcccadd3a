/**
 * Small hand-written mails in the shapes real clients produce (Gmail, Outlook, Apple Mail), plus
 * noise and hostile MIME. Used by unit and integration tests and the benchmark.
 */
export interface MailOptions {
  from?: string;
  to?: string;
  subject?: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string;
  extraHeaders?: string[];
}

function headers(options: MailOptions, contentType: string): string {
  return [
    `From: ${options.from ?? 'Ada Lovelace <ada@customer.test>'}`,
    `To: ${options.to ?? 'support@acme.test'}`,
    `Subject: ${options.subject ?? 'Order 1234 has not arrived'}`,
    `Date: Tue, 24 Nov 2026 10:00:00 +0000`,
    `Message-ID: ${options.messageId ?? '<first.1@customer.test>'}`,
    ...(options.inReplyTo ? [`In-Reply-To: ${options.inReplyTo}`] : []),
    ...(options.references ? [`References: ${options.references}`] : []),
    ...(options.extraHeaders ?? []),
    'MIME-Version: 1.0',
    `Content-Type: ${contentType}`,
  ].join('\r\n');
}

export function plainMail(body: string, options: MailOptions = {}): Buffer {
  return Buffer.from(
    `${headers(options, 'text/plain; charset=utf-8')}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${body.replace(/\n/g, '\r\n')}\r\n`,
  );
}

/** Gmail: multipart/alternative, "On <date> <name> <addr> wrote:" and a gmail_quote blockquote. */
export function gmailReply(reply: string, quoted: string, options: MailOptions): Buffer {
  const boundary = '000000000000a1b2c3d4e5f6';
  const quotedLines = quoted
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\r\n');
  return Buffer.from(
    [
      headers(options, `multipart/alternative; boundary="${boundary}"`),
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset="UTF-8"',
      '',
      reply,
      '',
      'On Tue, Nov 24, 2026 at 11:02 AM Acme Support <support@acme.test> wrote:',
      '',
      quotedLines,
      '',
      `--${boundary}`,
      'Content-Type: text/html; charset="UTF-8"',
      '',
      `<div dir="ltr">${reply}</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Tue, Nov 24, 2026 at 11:02 AM Acme Support &lt;<a href="mailto:support@acme.test">support@acme.test</a>&gt; wrote:<br></div><blockquote class="gmail_quote">${quoted}</blockquote></div>`,
      '',
      `--${boundary}--`,
      '',
    ].join('\r\n'),
  );
}

/** Outlook: reply on top, then a "From:/Sent:/To:/Subject:" block, in quoted-printable. */
export function outlookReply(reply: string, quoted: string, options: MailOptions): Buffer {
  const body = [
    reply,
    '',
    '________________________________',
    'From: Acme Support <support@acme.test>',
    'Sent: Tuesday, November 24, 2026 11:02 AM',
    'To: Ada Lovelace <ada@customer.test>',
    `Subject: ${options.subject ?? 'RE: Order 1234'}`,
    '',
    quoted,
  ].join('\r\n');
  return Buffer.from(
    `${headers(options, 'text/plain; charset="iso-8859-1"')}\r\nContent-Transfer-Encoding: quoted-printable\r\nThread-Topic: Order 1234\r\nX-MS-Has-Attach:\r\n\r\n${body.replace(/ü/g, '=FC')}\r\n`,
  );
}

/** Apple Mail: "On 24 Nov 2026, at 11:02, Name <addr> wrote:" then "> " quotes. */
export function appleMailReply(reply: string, quoted: string, options: MailOptions): Buffer {
  const body = [
    reply,
    '',
    '> On 24 Nov 2026, at 11:02, Acme Support <support@acme.test> wrote:',
    '> ',
    ...quoted.split('\n').map((line) => `> ${line}`),
  ].join('\r\n');
  return Buffer.from(
    `${headers(options, 'text/plain; charset=utf-8')}\r\nContent-Transfer-Encoding: 8bit\r\nX-Mailer: Apple Mail (2.3731.700.6)\r\n\r\n${body}\r\n`,
  );
}

export function htmlMailWithInlineImage(html: string, options: MailOptions = {}): Buffer {
  const boundary = 'rel-boundary';
  const png = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
    'base64',
  );
  return Buffer.from(
    [
      headers(options, `multipart/related; boundary="${boundary}"`),
      '',
      `--${boundary}`,
      'Content-Type: text/html; charset=utf-8',
      '',
      html,
      `--${boundary}`,
      'Content-Type: image/png; name="logo.png"',
      'Content-Transfer-Encoding: base64',
      'Content-ID: <logo@customer.test>',
      'Content-Disposition: inline; filename="logo.png"',
      '',
      png.toString('base64'),
      `--${boundary}--`,
      '',
    ].join('\r\n'),
  );
}

export function mailWithAttachment(
  filename: string,
  content: Buffer,
  options: MailOptions = {},
): Buffer {
  const boundary = 'mixed-boundary';
  const base64 = content.toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    [
      headers(options, `multipart/mixed; boundary="${boundary}"`),
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Please see the attached file.',
      `--${boundary}`,
      `Content-Type: application/zip; name="${filename}"`,
      'Content-Transfer-Encoding: base64',
      `Content-Disposition: attachment; filename="${filename}"`,
      '',
      base64,
      `--${boundary}--`,
      '',
    ].join('\r\n'),
  );
}

export function deeplyNestedMail(depth: number): Buffer {
  let body = 'Content-Type: text/plain\r\n\r\ninnermost\r\n';
  for (let level = depth; level > 0; level -= 1) {
    body = `Content-Type: multipart/mixed; boundary="b${level}"\r\n\r\n--b${level}\r\n${body}--b${level}--\r\n`;
  }
  return Buffer.from(
    `From: x@customer.test\r\nTo: support@acme.test\r\nSubject: nested\r\nMIME-Version: 1.0\r\n${body}`,
  );
}

export function hugeHeaderMail(headerBytes: number): Buffer {
  const filler = Array.from(
    { length: Math.ceil(headerBytes / 80) },
    (_, i) => `X-Filler-${i}: ${'a'.repeat(64)}`,
  );
  return Buffer.from(
    `From: x@customer.test\r\nTo: support@acme.test\r\nSubject: big\r\n${filler.join('\r\n')}\r\n\r\nbody\r\n`,
  );
}

export function bounceFor(originalMessageId: string, failedRecipient: string): Buffer {
  const boundary = 'report-boundary';
  return Buffer.from(
    [
      'From: Mail Delivery Subsystem <MAILER-DAEMON@mx.customer.test>',
      'To: support@acme.test',
      'Subject: Undelivered Mail Returned to Sender',
      'Message-ID: <bounce.77@mx.customer.test>',
      'Auto-Submitted: auto-replied',
      'MIME-Version: 1.0',
      `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain',
      '',
      'Your message could not be delivered.',
      `--${boundary}`,
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.customer.test',
      '',
      `Final-Recipient: rfc822; ${failedRecipient}`,
      'Action: failed',
      'Status: 5.1.1',
      '',
      `--${boundary}`,
      'Content-Type: text/rfc822-headers',
      '',
      'From: Acme Support <support@acme.test>',
      `To: ${failedRecipient}`,
      `Message-ID: ${originalMessageId}`,
      'Subject: Re: Order 1234',
      '',
      `--${boundary}--`,
      '',
    ].join('\r\n'),
  );
}
