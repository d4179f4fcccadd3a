import { parseConfigDocument, readConfigFile, z } from '@switchboard/config';

const originSchema = z
  .string()
  .regex(/^https?:\/\/[^/\s]+$/, { error: 'must be scheme://host[:port] without a path' });

const chatTenantSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_.-]+$/, { error: 'must be letters, digits, ".", "_" or "-"' }),
  /** Shown to visitors, e.g. in the email fallback's subject; defaults to the id. */
  name: z.string().trim().min(1).max(100).optional(),
  /** Exact Origin header values allowed to open visitor sockets for this tenant. */
  allowedOrigins: z.array(originSchema).min(1, { error: 'needs at least one origin' }),
  /** Key of the website's identity HMAC; without it, visitors cannot be verified. */
  identitySecret: z.string().min(16, { error: 'must be at least 16 characters' }).optional(),
  /** Topics the pre-chat form offers; the choice goes to routing as metadata `preChatTopic`. */
  prechatTopics: z.array(z.string().min(1)).default([]),
  /** While true, the widget says no agent is available and messages are flagged for routing. */
  offline: z.boolean().default(false),
});
export type ChatTenant = z.infer<typeof chatTenantSchema>;

const chatTenantsFileSchema = z.object({
  tenants: z
    .array(chatTenantSchema)
    .min(1, { error: 'needs at least one tenant' })
    .refine((tenants) => new Set(tenants.map((tenant) => tenant.id)).size === tenants.length, {
      error: 'tenant ids must be unique',
    }),
});
export type ChatTenantsFile = z.infer<typeof chatTenantsFileSchema>;

/** Reads and validates the tenants file; problems name the variable and path, never a secret. */
export function loadChatTenants(path: string, variable = 'CHAT_TENANTS_FILE'): ChatTenantsFile {
  return parseChatTenants(readConfigFile(variable, path), variable);
}

export function parseChatTenants(text: string, variable = 'CHAT_TENANTS_FILE'): ChatTenantsFile {
  return parseConfigDocument(chatTenantsFileSchema, text, variable);
}
