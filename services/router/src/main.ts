import { runService } from '@switchboard/service-kit';
import { AppModule } from './app.module';
import { loadRouterConfig } from './config/router.config';
import { startGrpcServer } from './grpc/start-grpc-server';

void runService({
  serviceName: 'router',
  loadConfig: () => loadRouterConfig(),
  createModule: (config) => AppModule.forRoot(config),
  httpPort: (config) => config.HTTP_PORT,
  httpHost: (config) => config.HTTP_HOST,
  afterListen: (app, config) => startGrpcServer(app, config.GRPC_HOST, config.GRPC_PORT),
});
