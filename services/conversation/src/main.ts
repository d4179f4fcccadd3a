import { loadConfig } from '@switchboard/config';
import { runService } from '@switchboard/service-kit';
import { AppModule } from './app.module';
import { conversationEnvSchema } from './config/conversation.config';

void runService({
  serviceName: 'conversation',
  loadConfig: () => loadConfig(conversationEnvSchema),
  createModule: (config) => AppModule.forRoot(config),
  httpPort: (config) => config.HTTP_PORT,
  httpHost: (config) => config.HTTP_HOST,
});
