/**
 * Every refusal the visitor can see: a stable code for the widget, a sentence for people, and
 * whether retrying the same request later can succeed.
 */
export type ChatErrorCode =
  | 'invalid_payload'
  /** A pre-chat field: its name is in the message ("invalid pre-chat form: email: …"). */
  | 'invalid_prechat'
  | 'invalid_text'
  | 'message_too_large'
  | 'rate_limited'
  | 'origin_not_allowed'
  | 'unknown_tenant'
  | 'identity_rejected'
  | 'session_unknown'
  | 'unknown_message'
  | 'temporarily_unavailable';

export class ChatError extends Error {
  constructor(
    readonly code: ChatErrorCode,
    message: string,
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'ChatError';
  }

  toWire(): { code: ChatErrorCode; message: string; retryable: boolean } {
    return { code: this.code, message: this.message, retryable: this.retryable };
  }
}
