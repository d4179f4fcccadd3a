import { type DynamicModule, Module } from '@nestjs/common';
import { createMetricsRegistry } from '@switchboard/metrics';
import { LoggerModule } from 'nestjs-pino';
import { HealthController } from './health/health.controller';
import { ReadinessRegistry } from './health/readiness.registry';
import { createRootLogger, loggerOptions } from './logging/logger.options';
import { MetricsController } from './metrics/metrics.controller';
import { METRICS_REGISTRY, ROOT_LOGGER, SERVICE_NAME } from './tokens';

export interface ServiceKitOptions {
  serviceName: string;
  logLevel: string;
}

/** What every Switchboard service has: JSON logging, /health/live, /health/ready and /metrics. */
@Module({})
export class ServiceKitModule {
  static forRoot(options: ServiceKitOptions): DynamicModule {
    const rootLogger = createRootLogger(options.serviceName, options.logLevel);
    return {
      module: ServiceKitModule,
      global: true,
      imports: [LoggerModule.forRoot(loggerOptions(rootLogger))],
      controllers: [HealthController, MetricsController],
      providers: [
        ReadinessRegistry,
        { provide: METRICS_REGISTRY, useFactory: () => createMetricsRegistry(options.serviceName) },
        { provide: SERVICE_NAME, useValue: options.serviceName },
        { provide: ROOT_LOGGER, useValue: rootLogger },
      ],
      exports: [ReadinessRegistry, METRICS_REGISTRY, SERVICE_NAME, ROOT_LOGGER],
    };
  }
}
