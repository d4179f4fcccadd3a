import {
  type DynamicModule,
  Inject,
  Injectable,
  Module,
  type OnApplicationShutdown,
} from '@nestjs/common';
import {
  closeRedisConnection,
  openRedisConnection,
  pingRedis,
  type RedisClient,
} from '@switchboard/redis';
import { cachedProbe, ReadinessRegistry } from '../health/readiness.registry';
import { REDIS_CLIENT } from '../tokens';
import { settleWithin } from './with-timeout.util';

export interface RedisModuleOptions {
  url: string;
  connectionName: string;
  keyPrefix?: string;
}

@Injectable()
class RedisClientCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS_CLIENT) private readonly client: RedisClient) {}

  async onApplicationShutdown(): Promise<void> {
    await settleWithin(closeRedisConnection(this.client), 2_000);
    this.client.disconnect();
  }
}

/** The shared Redis for hot state, with a readiness probe. Inject it with REDIS_CLIENT. */
@Module({})
export class RedisModule {
  static forRoot(options: RedisModuleOptions): DynamicModule {
    return {
      module: RedisModule,
      global: true,
      providers: [
        {
          provide: REDIS_CLIENT,
          inject: [ReadinessRegistry],
          useFactory: (readiness: ReadinessRegistry) => {
            const client = openRedisConnection(options);
            readiness.register(
              'redis',
              cachedProbe(() => pingRedis(client)),
            );
            return client;
          },
        },
        RedisClientCloser,
      ],
      exports: [REDIS_CLIENT],
    };
  }
}
