import { loadConfig } from '@switchboard/config';
import { runService } from '@switchboard/service-kit';
import { AppModule } from './app.module';
import { emailGatewayEnvSchema } from './config/email-gateway.config';

void runService({
  serviceName: 'email-gateway',
  loadConfig: () => loadConfig(emailGatewayEnvSchema),
  createModule: (config) => AppModule.forRoot(config),
  httpPort: (config) => config.HTTP_PORT,
  httpHost: (config) => config.HTTP_HOST,
});
