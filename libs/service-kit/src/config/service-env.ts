import {
  brokerListVariable,
  logLevelVariable,
  mongodbUriVariable,
  portVariable,
  positiveIntegerVariable,
  redisUrlVariable,
  stringVariable,
} from '@switchboard/config';

/** Variables every service reads. */
export function baseServiceEnv(defaultHttpPort: number) {
  return {
    HTTP_PORT: portVariable(defaultHttpPort),
    HTTP_HOST: stringVariable('0.0.0.0'),
    LOG_LEVEL: logLevelVariable(),
    KAFKA_BROKERS: brokerListVariable(),
    /** Used only when a topic does not exist yet; existing topics are never changed. */
    KAFKA_TOPIC_PARTITIONS: positiveIntegerVariable(6),
    KAFKA_REPLICATION_FACTOR: positiveIntegerVariable(1),
  };
}

/** Variables of a service that owns a MongoDB database. */
export function mongoServiceEnv(defaultDatabase: string) {
  return {
    MONGODB_URI: mongodbUriVariable(),
    MONGODB_DATABASE: stringVariable(defaultDatabase),
  };
}

/** Variables of a service that keeps hot state in Redis. */
export function redisServiceEnv() {
  return {
    REDIS_URL: redisUrlVariable(),
    REDIS_KEY_PREFIX: stringVariable('sb:'),
  };
}
