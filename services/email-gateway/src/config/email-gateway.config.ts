import { z } from '@switchboard/config';
import { baseServiceEnv } from '@switchboard/service-kit';

export const emailGatewayEnvSchema = z.object({
  ...baseServiceEnv(3001),
});

export type EmailGatewayConfig = z.infer<typeof emailGatewayEnvSchema>;
