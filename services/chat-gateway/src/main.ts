import { runService } from '@switchboard/service-kit';
import { AppModule } from './app.module';
import { loadChatGatewayConfig } from './config/chat-gateway.config';

void runService({
  serviceName: 'chat-gateway',
  loadConfig: () => loadChatGatewayConfig(),
  createModule: (config) => AppModule.forRoot(config),
  httpPort: (config) => config.HTTP_PORT,
  httpHost: (config) => config.HTTP_HOST,
});
