import { runService } from '@switchboard/service-kit';
import { AppModule } from './app.module';
import { loadSocialGatewayConfig } from './config/social-gateway.config';
import { prefixedWiring } from './social-gateway.wiring';

void runService({
  serviceName: 'social-gateway',
  loadConfig: () => loadSocialGatewayConfig(),
  createModule: (config) => AppModule.forRoot(config, prefixedWiring(config.KAFKA_TOPIC_PREFIX)),
  httpPort: (config) => config.HTTP_PORT,
  httpHost: (config) => config.HTTP_HOST,
  // Webhook signatures cover the exact bytes sent; the controllers read the raw body themselves.
  bodyParser: false,
});
