import { asNumber, asObject, asObjects, asString } from '../../shared/json-reader.util';
import {
  type PlatformSendRequest,
  type PlatformSendResult,
  type SocialPlatformProvider,
  unsupportedPart,
} from './platform-provider.interface';
import { isRetryableStatus, postJson, retryAfterMs } from './platform-http.util';

/** X API v2 direct messages: POST /2/dm_conversations/with/<participant>/messages. */
export class XDirectMessageProvider implements SocialPlatformProvider {
  readonly channels = ['x'] as const;

  constructor(private readonly baseUrl: string) {}

  async send(request: PlatformSendRequest): Promise<PlatformSendResult> {
    const { account } = request;
    if (account.channel !== 'x') {
      return {
        kind: 'rejected',
        errorCode: 'wrong_provider',
        errorMessage: `not an X account: ${account.channel}`,
      };
    }
    // Media needs X's chunked upload, which this gateway does not do (composeReply refuses it).
    if (request.part.kind !== 'text') return unsupportedPart('x', request.part);
    const reply = await postJson(
      `${this.baseUrl}/2/dm_conversations/with/${encodeURIComponent(request.recipientId)}/messages`,
      { text: request.part.text },
      { authorization: `Bearer ${account.accessToken}` },
    );
    if ('kind' in reply) return reply;
    const payload = asObject(reply.body);
    const eventId = asString(asObject(payload?.data)?.dm_event_id);
    if (reply.status >= 200 && reply.status < 300 && eventId !== undefined) {
      return { kind: 'sent', externalMessageId: eventId };
    }
    const firstError = asObjects(payload?.errors)[0];
    const errorCode =
      asString(firstError?.code) ?? asString(payload?.status) ?? `http_${reply.status}`;
    const errorMessage =
      asString(payload?.detail) ??
      asString(firstError?.message) ??
      asString(payload?.title) ??
      `HTTP ${reply.status}`;
    if (isRetryableStatus(reply.status)) {
      // X states when the rate-limit window resets (epoch seconds) rather than a Retry-After.
      const reset = asNumber(reply.headers.get('x-rate-limit-reset'));
      const wait =
        retryAfterMs(reply.headers) ??
        (reset !== undefined ? Math.max(0, reset * 1000 - Date.now()) : undefined);
      return {
        kind: 'retryable',
        errorCode,
        errorMessage,
        ...(wait !== undefined && { retryAfterMs: wait }),
      };
    }
    return { kind: 'rejected', errorCode, errorMessage };
  }
}
