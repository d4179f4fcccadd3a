import { loadConfig } from '@switchboard/config';
import { runService } from '@switchboard/service-kit';
import { AppModule } from './app.module';
import { chatGatewayEnvSchema } from './config/chat-gateway.config';

void runService({
  serviceName: 'chat-gateway',
  loadConfig: () => loadConfig(chatGatewayEnvSchema),
  createModule: (config) => AppModule.forRoot(config),
  httpPort: (config) => config.HTTP_PORT,
  httpHost: (config) => config.HTTP_HOST,
});
