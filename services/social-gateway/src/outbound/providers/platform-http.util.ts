import type { PlatformSendResult } from './platform-provider.interface';

export interface HttpReply {
  status: number;
  headers: Headers;
  body: unknown;
}

/** Upper bound of one API call; a hung platform must not hold the partition. */
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * POSTs JSON and returns status, headers and the parsed body (undefined if not JSON). Network
 * failures and timeouts become a retryable result rather than an exception.
 */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<HttpReply | Extract<PlatformSendResult, { kind: 'retryable' }>> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, body: parsed };
  } catch (error) {
    return {
      kind: 'retryable',
      errorCode: 'network_error',
      errorMessage: error instanceof Error ? error.message : String(error),
    };
  }
}

/** Retry-After as seconds or an HTTP date, in milliseconds from now. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}
