import { z } from '@switchboard/config';
import { ChatError } from '../shared/chat-error';

/**
 * Everything a visitor sends is untrusted: each payload is checked here and turned into a typed
 * value or a ChatError with a sentence the widget can show. Nothing here throws anything else.
 */

const shortText = (max: number) => z.string().trim().min(1).max(max);

const handshakeSchema = z.object({
  tenantId: shortText(100),
  sessionToken: shortText(200).optional(),
  identity: z.object({ userId: shortText(200), userHash: shortText(200) }).optional(),
  prechat: z
    .object({
      name: shortText(100).optional(),
      email: z.email().max(254).optional(),
      topic: shortText(100).optional(),
    })
    .optional(),
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

function parse<T>(schema: z.ZodType<T>, payload: unknown, what: string): T {
  const result = schema.safeParse(payload);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue?.path.join('.') || '(root)';
  throw new ChatError(
    'invalid_payload',
    `invalid ${what}: ${where}: ${issue?.message ?? 'invalid'}`,
  );
}

export function parseHandshake(auth: unknown): VisitorHandshake {
  return parse(handshakeSchema, auth, 'handshake');
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
