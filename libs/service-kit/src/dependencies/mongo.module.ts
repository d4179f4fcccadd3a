import {
  type DynamicModule,
  Inject,
  Injectable,
  Module,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { openMongoConnection, pingMongo } from '@switchboard/mongo';
import type { Connection } from 'mongoose';
import { cachedProbe, ReadinessRegistry } from '../health/readiness.registry';
import { MONGO_CONNECTION } from '../tokens';
import { settleWithin } from './with-timeout.util';

export interface MongoModuleOptions {
  uri: string;
  database: string;
  appName: string;
}

@Injectable()
class MongoConnectionCloser implements OnApplicationShutdown {
  constructor(@Inject(MONGO_CONNECTION) private readonly connection: Connection) {}

  // Connections close last (onApplicationShutdown), after consumers drained in
  // beforeApplicationShutdown. A server that is already gone must not hold the exit up.
  async onApplicationShutdown(): Promise<void> {
    await settleWithin(this.connection.close(), 2_000);
  }
}

/** The service's own MongoDB database, with a readiness probe. Inject it with MONGO_CONNECTION. */
@Module({})
export class MongoModule {
  static forRoot(options: MongoModuleOptions): DynamicModule {
    return {
      module: MongoModule,
      global: true,
      providers: [
        {
          provide: MONGO_CONNECTION,
          inject: [ReadinessRegistry],
          useFactory: (readiness: ReadinessRegistry) => {
            const connection = openMongoConnection(options);
            readiness.register(
              'mongodb',
              cachedProbe(() => pingMongo(connection)),
            );
            return connection;
          },
        },
        MongoConnectionCloser,
      ],
      exports: [MONGO_CONNECTION],
    };
  }
}
