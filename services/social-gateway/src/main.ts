import { loadConfig } from '@switchboard/config';
import { runService } from '@switchboard/service-kit';
import { AppModule } from './app.module';
import { socialGatewayEnvSchema } from './config/social-gateway.config';

void runService({
  serviceName: 'social-gateway',
  loadConfig: () => loadConfig(socialGatewayEnvSchema),
  createModule: (config) => AppModule.forRoot(config),
  httpPort: (config) => config.HTTP_PORT,
  httpHost: (config) => config.HTTP_HOST,
});
