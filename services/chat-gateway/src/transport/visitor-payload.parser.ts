import { z } from '@switchboard/config';
import { ChatError } from '../shared/chat-error';

/**
 * Everything a visitor sends is untrusted: each payload is checked here and turned into a typed
 * value or a ChatError with a sentence the widget can show. Nothing here throws anything else.
 */

const shortText = (max: number) => z.string().trim().min(1).max(max);

/** Markup or control characters in a name are refused: it is shown to agents and visitors. */
const hasMarkupOrControl = (text: string): boolean =>
  [...text].some((char) => {
    const code = char.codePointAt(0) ?? 0;
    return char === '<' || char === '>' || code < 0x20 || code === 0x7f;
  });
export const MAX_PRECHAT_NAME_LENGTH = 100;
export const MAX_PRECHAT_EMAIL_LENGTH = 254;

/** The pre-chat form; which topics a tenant offers is checked by the use case. */
const prechatSchema = z.strictObject({
  name: z
    .string({ error: 'must be a string' })
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(MAX_PRECHAT_NAME_LENGTH, {
      error: `must be at most ${MAX_PRECHAT_NAME_LENGTH} characters`,
    })
    .refine((name) => !hasMarkupOrControl(name), {
      error: 'must not contain "<", ">" or control characters',
    })
    .optional(),
  email: z
    .string({ error: 'must be a string' })
    .trim()
    .max(MAX_PRECHAT_EMAIL_LENGTH, {
      error: `must be at most ${MAX_PRECHAT_EMAIL_LENGTH} characters`,
    })
    .pipe(z.email({ error: 'must be a valid email address' }))
    .optional(),
  topic: z.string({ error: 'must be a string' }).trim().min(1).max(100).optional(),
});
export type PrechatForm = z.infer<typeof prechatSchema>;

const handshakeSchema = z.object({
  tenantId: shortText(100),
  sessionToken: shortText(200).optional(),
  identity: z.object({ userId: shortText(200), userHash: shortText(200) }).optional(),
  prechat: prechatSchema.optional(),
  /** Ids the widget already shows: left out of the history sent on (re)connection. */
  knownMessageIds: z.array(shortText(200)).max(500).optional(),
});
export type VisitorHandshake = z.infer<typeof handshakeSchema>;

const CLIENT_MESSAGE_ID = /^[A-Za-z0-9_.:-]{1,100}$/;
const sendSchema = z.object({
  clientMessageId: z.string().regex(CLIENT_MESSAGE_ID, {
    error: 'clientMessageId must be 1-100 letters, digits, "_", ".", ":" or "-"',
  }),
  text: z.unknown(),
});

// (String.prototype.isWellFormed is ES2024; the project targets ES2023.)
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const messageIdsSchema = z.object({ messageIds: z.array(shortText(200)).min(1).max(100) });
const typingSchema = z.object({ isTyping: z.boolean() });

function parse<T>(
  schema: z.ZodType<T>,
  payload: unknown,
  what: string,
  code: 'invalid_payload' | 'invalid_prechat' = 'invalid_payload',
): T {
  const result = schema.safeParse(payload);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue?.path.join('.') || '(root)';
  throw new ChatError(code, `invalid ${what}: ${where}: ${issue?.message ?? 'invalid'}`);
}

export function parseHandshake(auth: unknown): VisitorHandshake {
  const prechat =
    typeof auth === 'object' && auth !== null ? (auth as { prechat?: unknown }).prechat : undefined;
  // Checked first, so a bad form is answered as one (the widget shows it beside the form).
  if (prechat !== undefined) parsePrechat(prechat);
  return parse(handshakeSchema, auth, 'handshake');
}

/** The `prechat:submit` event's payload (and the handshake's `prechat`). */
export function parsePrechat(payload: unknown): PrechatForm {
  return parse(prechatSchema, payload, 'pre-chat form', 'invalid_prechat');
}

export function parseSendMessage(
  payload: unknown,
  maxBytes: number,
): { clientMessageId: string; text: string } {
  const { clientMessageId, text } = parse(sendSchema, payload, 'message');
  return { clientMessageId, text: validText(text, maxBytes) };
}

export function parseMessageIds(payload: unknown): string[] {
  return parse(messageIdsSchema, payload, 'receipt').messageIds;
}

export function parseTyping(payload: unknown): boolean {
  return parse(typingSchema, payload, 'typing indicator').isTyping;
}

/**
 * Text must be a well-formed string: binary payloads (which may hold invalid UTF-8) and strings
 * with lone surrogates (which cannot be encoded as UTF-8 at all) are refused, not repaired, so
 * what an agent reads is exactly what the visitor typed.
 */
function validText(text: unknown, maxBytes: number): string {
  if (typeof text !== 'string') {
    throw new ChatError('invalid_text', 'text must be a UTF-8 string');
  }
  if (LONE_SURROGATE.test(text)) {
    throw new ChatError('invalid_text', 'text is not valid UTF-8 (it contains a lone surrogate)');
  }
  if (text.trim().length === 0) throw new ChatError('invalid_text', 'text is empty');
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) {
    throw new ChatError('message_too_large', `text is ${bytes} bytes; the limit is ${maxBytes}`);
  }
  return text;
}
