import { loadConfig } from '@switchboard/config';
import { runService } from '@switchboard/service-kit';
import { AppModule } from './app.module';
import { routerEnvSchema } from './config/router.config';

void runService({
  serviceName: 'router',
  loadConfig: () => loadConfig(routerEnvSchema),
  createModule: (config) => AppModule.forRoot(config),
  httpPort: (config) => config.HTTP_PORT,
  httpHost: (config) => config.HTTP_HOST,
});
