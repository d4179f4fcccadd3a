import {
  brokerListVariable,
  ConfigValidationError,
  loadConfig,
  logLevelVariable,
  mongodbUriVariable,
  portVariable,
  z,
} from './index';

const schema = z.object({
  HTTP_PORT: portVariable(3001),
  KAFKA_BROKERS: brokerListVariable(),
  MONGODB_URI: mongodbUriVariable(),
  LOG_LEVEL: logLevelVariable(),
  WEBHOOK_SECRET: z.string().min(16, { error: 'must be at least 16 characters' }).optional(),
});

function problemOf(env: Record<string, string | undefined>): ConfigValidationError {
  try {
    loadConfig(schema, env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error;
    throw error;
  }
  throw new Error('expected a ConfigValidationError');
}

const valid = { KAFKA_BROKERS: '127.0.0.1:19092, kafka-2:9092', MONGODB_URI: 'mongodb://db/x' };

describe('loadConfig', () => {
  it('returns typed values with defaults applied', () => {
    const config = loadConfig(schema, valid);
    expect(config).toEqual({
      HTTP_PORT: 3001,
      KAFKA_BROKERS: ['127.0.0.1:19092', 'kafka-2:9092'],
      MONGODB_URI: 'mongodb://db/x',
      LOG_LEVEL: 'info',
      WEBHOOK_SECRET: undefined,
    });
  });

  it('names a missing variable', () => {
    const error = problemOf({ MONGODB_URI: 'mongodb://db/x' });
    expect(error.variable).toBe('KAFKA_BROKERS');
    expect(error.message).toBe('invalid configuration: KAFKA_BROKERS is required but not set');
  });

  it('treats an empty variable as missing', () => {
    expect(problemOf({ ...valid, MONGODB_URI: '  ' }).message).toContain('MONGODB_URI is required');
  });

  it('names a malformed variable, shows its value and says what is expected', () => {
    const error = problemOf({ ...valid, HTTP_PORT: 'eighty' });
    expect(error.variable).toBe('HTTP_PORT');
    expect(error.message).toBe(
      'invalid configuration: HTTP_PORT must be a port number (got "eighty")',
    );
    expect(problemOf({ ...valid, HTTP_PORT: '70000' }).message).toContain(
      'HTTP_PORT must be a port between 1 and 65535',
    );
    expect(problemOf({ ...valid, KAFKA_BROKERS: 'no-port-here' }).message).toContain(
      'KAFKA_BROKERS must be a comma-separated list of host:port',
    );
    expect(problemOf({ ...valid, LOG_LEVEL: 'loud' }).variable).toBe('LOG_LEVEL');
  });

  it('never echoes the value of a secret', () => {
    const error = problemOf({ ...valid, WEBHOOK_SECRET: 'short-secret' });
    expect(error.message).toBe(
      'invalid configuration: WEBHOOK_SECRET must be at least 16 characters (value hidden)',
    );
    expect(error.message).not.toContain('short-secret');
  });
});
