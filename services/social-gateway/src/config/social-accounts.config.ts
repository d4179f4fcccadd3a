import { parseConfigDocument, readConfigFile, z } from '@switchboard/config';

/**
 * Per-tenant platform credentials. Webhook URLs name the app (Meta, X) or bot (Telegram) whose
 * secret signs them; the accounts inside a verified payload (page, Instagram account, WhatsApp
 * phone number, X user) are then mapped to their tenant, and only accounts of that same app are
 * accepted, so one tenant's app can never inject messages into another tenant's account.
 */

const id = z
  .string({ error: 'must be a string (quote numeric ids)' })
  .regex(/^[A-Za-z0-9_.-]+$/, { error: 'must be letters, digits, ".", "_" or "-"' });
const secret = z
  .string({ error: 'is required' })
  .min(8, { error: 'must be at least 8 characters' });
const tenantId = z.string().min(1, { error: 'is required' });

const metaAppSchema = z.object({
  id,
  /** Signs every webhook POST (X-Hub-Signature-256). */
  appSecret: secret,
  /** Our answer to Meta's subscription handshake (hub.verify_token). */
  verifyToken: secret,
});

const xAppSchema = z.object({
  id,
  /** Answers the CRC challenge and signs every event (x-twitter-webhooks-signature). */
  consumerSecret: secret,
});

const messengerAccountSchema = z.object({
  channel: z.literal('messenger'),
  tenantId,
  appId: id,
  pageId: id,
  accessToken: secret,
});
const instagramAccountSchema = z.object({
  channel: z.literal('instagram'),
  tenantId,
  appId: id,
  instagramAccountId: id,
  accessToken: secret,
});
const whatsappAccountSchema = z.object({
  channel: z.literal('whatsapp'),
  tenantId,
  appId: id,
  phoneNumberId: id,
  accessToken: secret,
});
const telegramAccountSchema = z.object({
  channel: z.literal('telegram'),
  tenantId,
  botId: id,
  botToken: secret,
  /** The secret_token given to setWebhook; Telegram echoes it in X-Telegram-Bot-Api-Secret-Token. */
  webhookSecret: z.string().regex(/^[A-Za-z0-9_-]{8,256}$/, {
    error: 'must be 8-256 characters of A-Z, a-z, 0-9, _ and - (Telegram secret_token)',
  }),
});
const xAccountSchema = z.object({
  channel: z.literal('x'),
  tenantId,
  appId: id,
  userId: id,
  accessToken: secret,
});

export const socialAccountSchema = z.discriminatedUnion('channel', [
  messengerAccountSchema,
  instagramAccountSchema,
  whatsappAccountSchema,
  telegramAccountSchema,
  xAccountSchema,
]);
export type SocialAccount = z.infer<typeof socialAccountSchema>;
export type SocialChannel = SocialAccount['channel'];
export const SOCIAL_CHANNELS: readonly SocialChannel[] = [
  'messenger',
  'instagram',
  'whatsapp',
  'telegram',
  'x',
];

export const socialAccountsFileSchema = z
  .object({
    metaApps: z.array(metaAppSchema).default([]),
    xApps: z.array(xAppSchema).default([]),
    accounts: z.array(socialAccountSchema).default([]),
  })
  .superRefine((file, context) => {
    const metaAppIds = new Set(file.metaApps.map((app) => app.id));
    const xAppIds = new Set(file.xApps.map((app) => app.id));
    const seen = new Set<string>();
    file.accounts.forEach((account, index) => {
      const key = `${account.channel}:${platformAccountId(account)}`;
      if (seen.has(key)) {
        context.addIssue({
          code: 'custom',
          path: ['accounts', index],
          message: `${account.channel} account ${platformAccountId(account)} is listed twice`,
        });
      }
      seen.add(key);
      if (account.channel === 'telegram') return;
      const apps = account.channel === 'x' ? xAppIds : metaAppIds;
      if (!apps.has(account.appId)) {
        context.addIssue({
          code: 'custom',
          path: ['accounts', index, 'appId'],
          message: `names no ${account.channel === 'x' ? 'xApps' : 'metaApps'} entry`,
        });
      }
    });
    for (const [name, apps] of [
      ['metaApps', file.metaApps],
      ['xApps', file.xApps],
    ] as const) {
      const ids = apps.map((app) => app.id);
      if (new Set(ids).size !== ids.length) {
        context.addIssue({ code: 'custom', path: [name], message: 'ids must be unique' });
      }
    }
  });
export type SocialAccountsFile = z.infer<typeof socialAccountsFileSchema>;

/** The id the platform uses for the account in webhooks and API paths. */
export function platformAccountId(account: SocialAccount): string {
  switch (account.channel) {
    case 'messenger':
      return account.pageId;
    case 'instagram':
      return account.instagramAccountId;
    case 'whatsapp':
      return account.phoneNumberId;
    case 'telegram':
      return account.botId;
    case 'x':
      return account.userId;
  }
}

/**
 * Reads and validates the accounts file at start-up. Problems are reported as a
 * ConfigValidationError naming SOCIAL_ACCOUNTS_FILE and the offending path, never a secret value.
 */
export function loadSocialAccounts(
  path: string,
  variable = 'SOCIAL_ACCOUNTS_FILE',
): SocialAccountsFile {
  return parseSocialAccounts(readConfigFile(variable, path), variable);
}

export function parseSocialAccounts(
  text: string,
  variable = 'SOCIAL_ACCOUNTS_FILE',
): SocialAccountsFile {
  return parseConfigDocument(socialAccountsFileSchema, text, variable);
}
