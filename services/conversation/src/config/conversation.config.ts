import { z } from '@switchboard/config';
import { baseServiceEnv, mongoServiceEnv } from '@switchboard/service-kit';

export const conversationEnvSchema = z.object({
  ...baseServiceEnv(3005),
  ...mongoServiceEnv('switchboard_conversation'),
});

export type ConversationConfig = z.infer<typeof conversationEnvSchema>;
