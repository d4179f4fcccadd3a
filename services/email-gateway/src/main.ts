import { ConfigValidationError, loadConfig } from '@switchboard/config';
import { ROOT_LOGGER, runService } from '@switchboard/service-kit';
import type { Logger } from 'pino';
import { AppModule } from './app.module';
import {
  DEVELOPMENT_THREAD_SECRET,
  type EmailGatewayConfig,
  emailGatewayEnvSchema,
  smtpRelaySettings,
} from './config/email-gateway.config';
import {
  ImapPollingLifecycle,
  OutboundMailLifecycle,
  SmtpServerLifecycle,
} from './email-gateway.module';
import { TenantConfigError, TenantDirectory } from './tenants/tenant-directory';

interface LoadedConfig {
  env: EmailGatewayConfig;
  tenants: TenantDirectory;
}

/** The environment plus the tenant directory, both validated before anything starts. */
function loadEmailGatewayConfig(): LoadedConfig {
  const env = loadConfig(emailGatewayEnvSchema);
  smtpRelaySettings(env); // the relay variables are checked together, before anything starts
  try {
    return {
      env,
      tenants: TenantDirectory.load({
        file: env.EMAIL_TENANTS_FILE,
        inlineJson: env.EMAIL_TENANTS_JSON,
      }),
    };
  } catch (error) {
    if (!(error instanceof TenantConfigError)) throw error;
    const variable = env.EMAIL_TENANTS_FILE ? 'EMAIL_TENANTS_FILE' : 'EMAIL_TENANTS_JSON';
    throw new ConfigValidationError(variable, `is invalid: ${error.message}`);
  }
}

void runService<LoadedConfig>({
  serviceName: 'email-gateway',
  loadConfig: loadEmailGatewayConfig,
  createModule: (config) => AppModule.forRoot(config.env, config.tenants),
  httpPort: (config) => config.env.HTTP_PORT,
  httpHost: (config) => config.env.HTTP_HOST,
  afterListen: async (app, config) => {
    const logger = app.get<Logger>(ROOT_LOGGER).child({ component: 'smtp' });
    if (config.env.EMAIL_THREAD_SECRET === DEVELOPMENT_THREAD_SECRET) {
      logger.warn({}, 'EMAIL_THREAD_SECRET is the development default; set your own in production');
    }
    const port = await app.get(SmtpServerLifecycle).listen();
    logger.info({ port, host: config.env.SMTP_HOST }, 'smtp listening');
    app.get(OutboundMailLifecycle).start();
    app.get(ImapPollingLifecycle).start();
  },
});
