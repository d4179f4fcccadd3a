/** Dependency-injection tokens shared by every service. */
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');
export const SERVICE_NAME = Symbol('SERVICE_NAME');
export const KAFKA_CLIENT = Symbol('KAFKA_CLIENT');
export const KAFKA_MODULE_OPTIONS = Symbol('KAFKA_MODULE_OPTIONS');
export const MONGO_CONNECTION = Symbol('MONGO_CONNECTION');
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');
/** The pino root logger, for components that log outside any request. */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');
