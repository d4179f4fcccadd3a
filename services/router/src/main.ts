import { runService } from '@switchboard/service-kit';
import { AppModule } from './app.module';
import { loadRouterConfig } from './config/router.config';

void runService({
  serviceName: 'router',
  loadConfig: () => loadRouterConfig(),
  createModule: (config) => AppModule.forRoot(config),
  httpPort: (config) => config.HTTP_PORT,
  httpHost: (config) => config.HTTP_HOST,
});
