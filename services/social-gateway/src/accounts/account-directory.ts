import {
  platformAccountId,
  type SocialAccount,
  type SocialAccountsFile,
  type SocialChannel,
} from '../config/social-accounts.config';

export interface MetaApp {
  id: string;
  appSecret: string;
  verifyToken: string;
}

export interface XApp {
  id: string;
  consumerSecret: string;
}

export type TelegramAccount = Extract<SocialAccount, { channel: 'telegram' }>;

/** Read-only lookups over the validated accounts file: who owns which platform account. */
export class AccountDirectory {
  private readonly metaApps: Map<string, MetaApp>;
  private readonly xApps: Map<string, XApp>;
  private readonly accounts: Map<string, SocialAccount>;

  constructor(file: SocialAccountsFile) {
    this.metaApps = new Map(file.metaApps.map((app) => [app.id, app]));
    this.xApps = new Map(file.xApps.map((app) => [app.id, app]));
    this.accounts = new Map(
      file.accounts.map((account) => [key(account.channel, platformAccountId(account)), account]),
    );
  }

  metaApp(appId: string): MetaApp | undefined {
    return this.metaApps.get(appId);
  }

  xApp(appId: string): XApp | undefined {
    return this.xApps.get(appId);
  }

  telegramBot(botId: string): TelegramAccount | undefined {
    const account = this.accounts.get(key('telegram', botId));
    return account?.channel === 'telegram' ? account : undefined;
  }

  account(channel: SocialChannel, accountId: string): SocialAccount | undefined {
    return this.accounts.get(key(channel, accountId));
  }
}

/** Which app or bot signed a webhook: only that app's own accounts may appear in it. */
export function belongsToSigner(account: SocialAccount, signerId: string): boolean {
  return account.channel === 'telegram' ? account.botId === signerId : account.appId === signerId;
}

function key(channel: SocialChannel, accountId: string): string {
  return `${channel}\u0000${accountId}`;
}
