/**
 * @switchboard/stack — starts the local Kafka, FerretDB and Redis that the
 * services, tests and benchmarks run against (see tools/stack/README.md).
 */
export {
  type ComponentName,
  type ComponentStatus,
  type StackEndpoints,
  type StackOptions,
  readStackEndpoints,
  stackDown,
  stackStatus,
  stackUp,
} from './stack';
export { type StartKafkaOptions, startKafka } from './kafka';
export { type StartFerretDbOptions, startFerretDb } from './ferretdb';
export { type StartRedisOptions, startRedis } from './redis';
export { type DisposableServer, type Log } from './server';
export { freePort } from './ports';
export { StackError } from './errors';
export { stackPaths } from './paths';
