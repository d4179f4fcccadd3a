import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signs what our outbound mail carries so replies find their thread and forgeries do not:
 * - a thread token in the Reply-To plus-address (`support+<ref>.<sig>@acme.test`) and subject;
 * - our own Message-IDs, so our mail coming back (loops, mirrors) is recognised.
 * Tokens are lowercase hex because some MTAs lowercase the local part. The HMAC covers the
 * tenant, so a token of one tenant is worthless at another.
 */
export class ThreadSigner {
  constructor(private readonly secret: string) {}

  /** Short public reference of a thread (the thread key itself may be too long for a local part). */
  threadRef(tenantId: string, threadKey: string): string {
    return sha256Hex(`${tenantId}\0${threadKey}`).slice(0, 24);
  }

  threadToken(tenantId: string, threadKey: string): string {
    const ref = this.threadRef(tenantId, threadKey);
    return `${ref}.${this.sign('thread', tenantId, ref)}`;
  }

  /** Returns the thread ref of a token signed for this tenant, or undefined for forged ones. */
  verifyThreadToken(tenantId: string, token: string): string | undefined {
    const match = /^([0-9a-f]{24})\.([0-9a-f]{20})$/.exec(token.toLowerCase());
    if (!match?.[1] || !match[2]) return undefined;
    return safeEqualHex(this.sign('thread', tenantId, match[1]), match[2]) ? match[1] : undefined;
  }

  /** `support@acme.test` → `support+<token>@acme.test`. */
  replyToAddress(tenantId: string, supportAddress: string, threadKey: string): string {
    const at = supportAddress.lastIndexOf('@');
    const local = supportAddress.slice(0, at).split('+')[0] ?? '';
    return `${local}+${this.threadToken(tenantId, threadKey)}${supportAddress.slice(at)}`;
  }

  subjectMarker(tenantId: string, threadKey: string): string {
    return `[#${this.threadToken(tenantId, threadKey)}]`;
  }

  /** A Message-ID of our own for an outbound message, stable across redeliveries. */
  outboundMessageId(tenantId: string, outboundMessageId: string, domain: string): string {
    const id = sha256Hex(`${tenantId}\0${outboundMessageId}`).slice(0, 24);
    return `<sb.${id}.${this.sign('message-id', tenantId, id)}@${domain}>`;
  }

  isOwnMessageId(tenantId: string, messageId: string): boolean {
    const match = /^<sb\.([0-9a-f]{24})\.([0-9a-f]{20})@[^>]+>$/.exec(messageId.toLowerCase());
    if (!match?.[1] || !match[2]) return false;
    return safeEqualHex(this.sign('message-id', tenantId, match[1]), match[2]);
  }

  private sign(purpose: string, tenantId: string, value: string): string {
    return createHmac('sha256', this.secret)
      .update(`${purpose}\0${tenantId}\0${value}`)
      .digest('hex')
      .slice(0, 20);
  }
}

const TOKEN_IN_LOCAL_PART = /\+([0-9a-f]{24}\.[0-9a-f]{20})@/i;
const TOKEN_IN_SUBJECT = /\[#([0-9a-f]{24}\.[0-9a-f]{20})\]/i;

export function tokenInAddress(address: string): string | undefined {
  return TOKEN_IN_LOCAL_PART.exec(address)?.[1];
}

export function tokenInSubject(subject: string | undefined): string | undefined {
  return subject === undefined ? undefined : TOKEN_IN_SUBJECT.exec(subject)?.[1];
}

function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

function safeEqualHex(expected: string, actual: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(actual, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
