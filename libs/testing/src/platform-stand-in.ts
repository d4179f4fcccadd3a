import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Local HTTP servers standing in for the Meta Graph, Telegram Bot and X APIs: they record every
 * request and answer like the platform does, or with scripted errors and 429s. Used by tests,
 * benchmarks and the demo; nothing outside this machine is ever called.
 */

export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. `/1100000000001/messages`. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  body: unknown;
}

export interface StandInReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface PlatformStandIn {
  /** Base URL to configure in the service under test (no trailing slash). */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** The next `count` requests get this reply instead of the platform's success answer. */
  failNext(reply: StandInReply, count?: number): void;
  close(): Promise<void>;
}

type SuccessReply = (request: RecordedRequest, sequence: number) => StandInReply;

async function startStandIn(success: SuccessReply): Promise<PlatformStandIn> {
  const requests: RecordedRequest[] = [];
  const scripted: StandInReply[] = [];
  let sequence = 0;
  const server: Server = createServer((request, response) => {
    void readBody(request).then((rawBody) => {
      const recorded: RecordedRequest = {
        method: request.method ?? 'GET',
        path: request.url ?? '/',
        headers: request.headers,
        rawBody,
        body: parseJson(rawBody),
      };
      requests.push(recorded);
      sequence += 1;
      const reply = scripted.shift() ?? success(recorded, sequence);
      response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      response.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext: (reply, count = 1) => {
      for (let index = 0; index < count; index += 1) scripted.push(reply);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
}

/** Graph API: WhatsApp answers `{messages:[{id}]}`, Messenger and Instagram `{message_id}`. */
export function startMetaGraphStandIn(): Promise<PlatformStandIn> {
  return startStandIn((request, sequence) => {
    const body = request.body as
      { messaging_product?: string; recipient?: { id?: string } } | undefined;
    if (body?.messaging_product === 'whatsapp') {
      return {
        status: 200,
        body: { messaging_product: 'whatsapp', messages: [{ id: `wamid.standin${sequence}` }] },
      };
    }
    return {
      status: 200,
      body: { recipient_id: body?.recipient?.id, message_id: `m_standin${sequence}` },
    };
  });
}

/** Telegram Bot API: `{ok:true, result:{message_id}}`; answerCallbackQuery `{ok:true, result:true}`. */
export function startTelegramStandIn(): Promise<PlatformStandIn> {
  return startStandIn((request, sequence) => ({
    status: 200,
    body: request.path.endsWith('/answerCallbackQuery')
      ? { ok: true, result: true }
      : {
          ok: true,
          result: { message_id: 1000 + sequence, date: Math.floor(Date.now() / 1000) },
        },
  }));
}

/** X API v2 direct messages: `{data:{dm_conversation_id, dm_event_id}}`. */
export function startXStandIn(): Promise<PlatformStandIn> {
  return startStandIn((_request, sequence) => ({
    status: 201,
    body: { data: { dm_conversation_id: 'standin-conversation', dm_event_id: `dm${sequence}` } },
  }));
}

/** Canned platform error bodies for `failNext`. */
export const PlatformErrors = {
  metaRateLimited: (retryAfterSeconds = 0): StandInReply => ({
    status: 429,
    headers: { 'retry-after': String(retryAfterSeconds) },
    body: {
      error: { message: 'Application request limit reached', type: 'OAuthException', code: 4 },
    },
  }),
  metaServerError: (): StandInReply => ({
    status: 500,
    body: {
      error: { message: 'An unexpected error has occurred', type: 'OAuthException', code: 2 },
    },
  }),
  metaRejected: (code = 131026, message = 'Message undeliverable'): StandInReply => ({
    status: 400,
    body: { error: { message, type: 'OAuthException', code } },
  }),
  telegramRateLimited: (retryAfterSeconds = 0): StandInReply => ({
    status: 429,
    body: {
      ok: false,
      error_code: 429,
      description: `Too Many Requests: retry after ${retryAfterSeconds}`,
      parameters: { retry_after: retryAfterSeconds },
    },
  }),
  telegramForbidden: (): StandInReply => ({
    status: 403,
    body: { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' },
  }),
  telegramCallbackQueryTooOld: (): StandInReply => ({
    status: 400,
    body: {
      ok: false,
      error_code: 400,
      description:
        'Bad Request: query is too old and response timeout expired or query ID is invalid',
    },
  }),
  xRateLimited: (): StandInReply => ({
    status: 429,
    headers: { 'retry-after': '0' },
    body: {
      title: 'Too Many Requests',
      detail: 'Too Many Requests',
      type: 'about:blank',
      status: 429,
    },
  }),
} as const;
