import 'reflect-metadata';
import type { Server } from 'node:http';
import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigValidationError } from '@switchboard/config';
import { Logger } from 'nestjs-pino';
import type { Logger as PinoLogger } from 'pino';
import { ReadinessRegistry } from './health/readiness.registry';
import { ROOT_LOGGER } from './tokens';

export interface RunServiceOptions<Config> {
  serviceName: string;
  /** Validates the environment; throws ConfigValidationError naming the bad variable. */
  loadConfig: () => Config;
  createModule: (config: Config) => DynamicModule | Type;
  httpPort: (config: Config) => number;
  httpHost?: (config: Config) => string;
  /** Hard limit for a graceful stop; Kubernetes' default grace period is 30 s, ours is 10 s. */
  shutdownTimeoutMs?: number;
  /**
   * False turns Nest's JSON/urlencoded body parsers off, so handlers read the raw request bytes
   * themselves (webhook signatures are computed over the exact bytes sent). Default true.
   */
  bodyParser?: boolean;
  /** Runs after the HTTP server listens, e.g. to start a gRPC or SMTP server. */
  afterListen?: (app: INestApplication, config: Config) => Promise<void>;
}

/**
 * Boots a service: validates configuration (a bad variable stops it with one line naming it),
 * starts HTTP, and on SIGTERM/SIGINT stops gracefully: readiness turns red, the HTTP server stops
 * accepting and finishes in-flight requests, consumers drain and commit
 * (beforeApplicationShutdown), connections close (onApplicationShutdown), and the process exits 0.
 */
export async function runService<Config>(options: RunServiceOptions<Config>): Promise<void> {
  let config: Config;
  try {
    config = options.loadConfig();
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      process.stderr.write(`${options.serviceName}: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  const app = await NestFactory.create(options.createModule(config), {
    bufferLogs: true,
    bodyParser: options.bodyParser ?? true,
  });
  app.useLogger(app.get(Logger));
  app.flushLogs();
  const logger = app.get<PinoLogger>(ROOT_LOGGER).child({ component: 'lifecycle' });

  const port = options.httpPort(config);
  const host = options.httpHost?.(config) ?? '0.0.0.0';
  await app.listen(port, host);
  await options.afterListen?.(app, config);
  logger.info({ port, host }, `${options.serviceName} listening`);

  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 9_000;
  let stopping = false;
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `${options.serviceName} shutting down`);
    const watchdog = setTimeout(() => {
      logger.error({ shutdownTimeoutMs }, 'graceful shutdown took too long; exiting');
      process.exit(1);
    }, shutdownTimeoutMs);
    watchdog.unref();

    app.get(ReadinessRegistry).markShuttingDown();
    await closeHttpServer(app.getHttpServer() as Server, Math.floor(shutdownTimeoutMs / 3));
    await app.close();
    clearTimeout(watchdog);
    logger.info({}, `${options.serviceName} stopped`);
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, (received) => {
      void stop(received);
    });
  }
}

/** Stops accepting connections and waits for in-flight requests, cutting stragglers at the limit. */
async function closeHttpServer(server: Server, limitMs: number): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), limitMs);
  await closed;
  clearTimeout(timer);
}
