import { z } from '@switchboard/config';
import { baseServiceEnv } from '@switchboard/service-kit';

export const socialGatewayEnvSchema = z.object({
  ...baseServiceEnv(3003),
});

export type SocialGatewayConfig = z.infer<typeof socialGatewayEnvSchema>;
