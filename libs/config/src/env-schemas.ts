import { z } from 'zod';

/** Building blocks for service configuration schemas; each message completes "NAME ...". */

export const portVariable = (defaultPort: number) =>
  z.coerce
    .number({ error: 'must be a port number' })
    .int({ error: 'must be a whole port number' })
    .min(1, { error: 'must be a port between 1 and 65535' })
    .max(65535, { error: 'must be a port between 1 and 65535' })
    .default(defaultPort);

const HOST_PORT = /^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/;

/** A comma-separated list of Kafka brokers, e.g. "127.0.0.1:19092,kafka-2:9092". */
export const brokerListVariable = () =>
  z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((broker) => broker.trim())
        .filter((broker) => broker.length > 0),
    )
    .refine((brokers) => brokers.length > 0 && brokers.every((broker) => HOST_PORT.test(broker)), {
      error: 'must be a comma-separated list of host:port',
    });

export const mongodbUriVariable = () =>
  z.string().regex(/^mongodb(\+srv)?:\/\/\S+$/, {
    error: 'must be a mongodb:// or mongodb+srv:// URI',
  });

export const redisUrlVariable = () =>
  z.string().regex(/^rediss?:\/\/\S+$/, { error: 'must be a redis:// or rediss:// URL' });

export const logLevelVariable = () =>
  z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info');

export const positiveIntegerVariable = (defaultValue: number) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .positive({ error: 'must be greater than zero' })
    .default(defaultValue);

export const stringVariable = (defaultValue?: string) =>
  defaultValue === undefined ? z.string() : z.string().default(defaultValue);
