import { join } from 'node:path';
import { stackUp } from '@switchboard/stack';
import {
  DEFAULT_HTTP_PORTS,
  REPOSITORY_ROOT,
  SERVICE_NAMES,
  type ServiceName,
  type ServiceProcess,
  spawnService,
  waitForHttpStatus,
} from '@switchboard/testing';
import { type DemoSetup, prepareDemo, runDemo } from './demo';

/** `npm start`: the local stack plus all five services, each logging to .stack/logs/services. */
async function main(): Promise<void> {
  const log = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  log('switchboard: starting the local stack (Kafka, FerretDB, Redis)…');
  const stack = await stackUp({ log: (line) => log(`  stack: ${line}`) });

  const env = {
    KAFKA_BROKERS: stack.kafkaBrokers,
    MONGODB_URI: stack.mongodbUri,
    REDIS_URL: stack.redisUrl,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    // Agent tokens for the local system only: the demo signs its agents' tokens with it.
    AUTH_JWT_SECRET: process.env.AUTH_JWT_SECRET ?? 'switchboard-local-development-jwt-secret',
  };
  const logDirectory = join(REPOSITORY_ROOT, '.stack', 'logs', 'services');
  // The demo's routing configuration (router) and SMTP relay stand-in (email gateway's outbound).
  let demo: DemoSetup | undefined;
  try {
    demo = await prepareDemo(join(REPOSITORY_ROOT, '.stack', 'demo'));
  } catch (error) {
    log(
      `switchboard: the demo could not be prepared (${error instanceof Error ? error.message : String(error)}); starting without it`,
    );
  }
  // The chat gateway reads history from the conversation service and wait estimates from the
  // router over gRPC, on their default ports.
  const chatGatewayEnv = {
    CONVERSATION_GRPC_URL: '127.0.0.1:50051',
    ROUTER_GRPC_URL: '127.0.0.1:50052',
  };
  const serviceEnv: Partial<Record<ServiceName, Record<string, string>>> = demo
    ? {
        router: { ROUTER_CONFIG_FILE: demo.routerConfigFile },
        'email-gateway': { SMTP_RELAY_URL: demo.relay.url },
        'chat-gateway': chatGatewayEnv,
      }
    : { 'chat-gateway': chatGatewayEnv };
  const services: ServiceProcess[] = SERVICE_NAMES.map((name) =>
    spawnService(name, {
      env: { ...env, ...serviceEnv[name] },
      httpPort: DEFAULT_HTTP_PORTS[name],
      logFile: join(logDirectory, `${name}.log`),
    }),
  );

  let stopping = false;
  const stopAll = async (exitCode: number): Promise<never> => {
    stopping = true;
    log('switchboard: stopping services…');
    const results = await Promise.all(services.map((service) => service.stop('SIGTERM')));
    results.forEach((result, index) =>
      log(
        `  ${services[index]?.name ?? '?'}: exit ${result.code ?? result.signal} in ${result.ms} ms`,
      ),
    );
    await demo?.relay.close();
    log('switchboard: services stopped; the stack keeps running (npm run stack -- down stops it)');
    process.exit(exitCode);
  };
  process.once('SIGINT', () => void stopAll(0));
  process.once('SIGTERM', () => void stopAll(0));

  for (const service of services) {
    void service.exited.then(({ code, signal }) => {
      if (stopping) return;
      log(
        `switchboard: ${service.name} exited unexpectedly (${code ?? signal}); its log: ${logDirectory}/${service.name}.log`,
      );
      void stopAll(1);
    });
  }

  try {
    await Promise.all(
      services.map((service) =>
        waitForHttpStatus(`${service.httpUrl}/health/ready`, 200, {
          timeoutMs: 60_000,
          process: service,
        }),
      ),
    );
  } catch (error) {
    log(
      `switchboard: a service did not become ready: ${error instanceof Error ? error.message : String(error)}`,
    );
    await stopAll(1);
  }

  log('');
  log('switchboard is up:');
  log(`  ${'service'.padEnd(16)} ${'http'.padEnd(24)} log`);
  for (const service of services) {
    log(
      `  ${service.name.padEnd(16)} ${service.httpUrl.padEnd(24)} .stack/logs/services/${service.name}.log`,
    );
  }
  log(`  kafka ${stack.kafkaBrokers} · mongodb ${stack.mongodbUri} · redis ${stack.redisUrl}`);
  log('  health: GET <http>/health/live, /health/ready · metrics: GET <http>/metrics');

  if (demo) {
    const byName = new Map(services.map((service) => [service.name, service]));
    await runDemo(demo, {
      chatGatewayUrl: byName.get('chat-gateway')?.httpUrl ?? '',
      socialGatewayUrl: byName.get('social-gateway')?.httpUrl ?? '',
      smtpPort: 2525,
      routerGrpc: '127.0.0.1:50052',
      conversationGrpc: '127.0.0.1:50051',
      jwtSecret: env.AUTH_JWT_SECRET,
      log,
    });
  }
  log('');
  log('Press Ctrl-C to stop the services.');
}

main().catch((error: unknown) => {
  process.stderr.write(`switchboard: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
