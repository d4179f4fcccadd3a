import type { Params } from 'nestjs-pino';
import pino, { type Logger as PinoLogger, stdTimeFunctions } from 'pino';

const QUIET_PATHS = ['/health/live', '/health/ready', '/metrics'];

/**
 * The service's root logger: JSON lines on stdout, the service name on each, secrets redacted.
 * Background components (Kafka, schedulers) log through children of it, so their lines never pick
 * up the context of whichever HTTP request happened to be running.
 */
export function createRootLogger(serviceName: string, level: string): PinoLogger {
  return pino({
    level,
    base: { service: serviceName },
    timestamp: stdTimeFunctions.isoTime,
    messageKey: 'msg',
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-hub-signature-256"]',
        'req.headers["x-telegram-bot-api-secret-token"]',
        'req.headers["x-twitter-webhooks-signature"]',
      ],
      censor: '[redacted]',
    },
  });
}

/** Request logging on the root logger; probe and scrape requests would drown everything else. */
export function loggerOptions(rootLogger: PinoLogger): Params {
  return {
    pinoHttp: {
      logger: rootLogger,
      // Query strings can carry secrets (Meta's hub.verify_token, signed links): log the path only.
      serializers: {
        req: (request: { url?: string; query?: unknown }) => ({
          ...request,
          url: (request.url ?? '').split('?')[0],
          query: undefined,
        }),
      },
      autoLogging: { ignore: (request) => QUIET_PATHS.includes(request.url ?? '') },
    },
  };
}
