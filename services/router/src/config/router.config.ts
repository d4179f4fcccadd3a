import { z } from '@switchboard/config';
import { baseServiceEnv, mongoServiceEnv, redisServiceEnv } from '@switchboard/service-kit';

export const routerEnvSchema = z.object({
  ...baseServiceEnv(3004),
  ...mongoServiceEnv('switchboard_router'),
  ...redisServiceEnv(),
});

export type RouterConfig = z.infer<typeof routerEnvSchema>;
