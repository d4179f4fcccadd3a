import type { SocialAccount, SocialChannel } from '../../config/social-accounts.config';
import type { ReplyPart } from '../compose-reply.util';

export interface PlatformSendRequest {
  account: SocialAccount;
  /** The customer on the platform: PSID, IGSID, WhatsApp id, Telegram chat id, X user id. */
  recipientId: string;
  /** The platform's id of the customer message this replies to, where the platform threads replies. */
  replyToExternalId?: string;
  /** One platform message of the reply: text, template or media (see composeReply). */
  part: ReplyPart;
}

export type PlatformSendResult =
  | { kind: 'sent'; externalMessageId: string }
  /** Rate limited or a server error: the same request may succeed later. */
  | { kind: 'retryable'; errorCode: string; errorMessage: string; retryAfterMs?: number }
  /** The platform refused the request itself; sending it again cannot help. */
  | { kind: 'rejected'; errorCode: string; errorMessage: string };

/** One platform's send API (novu-style provider); base URLs come from configuration. */
export interface SocialPlatformProvider {
  readonly channels: readonly SocialChannel[];
  send(request: PlatformSendRequest): Promise<PlatformSendResult>;
}

/** For a part the composition step should never have produced for this platform. */
export function unsupportedPart(channel: SocialChannel, part: ReplyPart): PlatformSendResult {
  return {
    kind: 'rejected',
    errorCode: 'unsupported_part',
    errorMessage: `${channel} cannot send a ${part.kind} part`,
  };
}
