import { z } from '@switchboard/config';
import { baseServiceEnv, redisServiceEnv } from '@switchboard/service-kit';

export const chatGatewayEnvSchema = z.object({
  ...baseServiceEnv(3002),
  ...redisServiceEnv(),
});

export type ChatGatewayConfig = z.infer<typeof chatGatewayEnvSchema>;
