export * from './config-validation.error';
export * from './env-schemas';
export * from './load-config';
export { z } from 'zod';
export * from './config-file';
