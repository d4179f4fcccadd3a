import { runService } from '@switchboard/service-kit';
import { AppModule } from './app.module';
import { loadConversationConfig } from './config/conversation.config';
import { startGrpcServer } from './grpc/start-grpc-server';

void runService({
  serviceName: 'conversation',
  loadConfig: () => loadConversationConfig(),
  createModule: (config) => AppModule.forRoot(config),
  httpPort: (config) => config.HTTP_PORT,
  httpHost: (config) => config.HTTP_HOST,
  afterListen: (app, config) => startGrpcServer(app, config.GRPC_HOST, config.GRPC_PORT),
});
