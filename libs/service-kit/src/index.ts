export * from './config/service-env';
export * from './dependencies/kafka.module';
export * from './dependencies/mongo.module';
export * from './dependencies/redis.module';
export * from './health/readiness.registry';
export * from './run-service';
export * from './service-kit.module';
export * from './tokens';
