import { ConfigValidationError } from '@switchboard/config';
import { loadSocialAccounts, parseSocialAccounts } from './social-accounts.config';
import { LOCAL_ACCOUNTS_FILE } from './social-gateway.config';

const valid = `
metaApps: [{ id: app-1, appSecret: app-secret-1, verifyToken: verify-token-1 }]
accounts:
  - { channel: whatsapp, tenantId: acme, appId: app-1, phoneNumberId: '111', accessToken: token-111 }
  - { channel: telegram, tenantId: beta, botId: '42', botToken: '42:bot-token', webhookSecret: tg-secret-1 }
`;

describe('social accounts file', () => {
  it('reads the local default that `npm start` boots with', () => {
    const file = loadSocialAccounts(LOCAL_ACCOUNTS_FILE);
    expect(file.accounts.map((account) => account.channel).sort()).toEqual([
      'instagram',
      'messenger',
      'telegram',
      'whatsapp',
      'x',
    ]);
  });

  it('parses YAML and JSON alike', () => {
    const parsed = parseSocialAccounts(valid);
    expect(parsed.accounts).toHaveLength(2);
    expect(parseSocialAccounts(JSON.stringify(parsed))).toEqual(parsed);
  });

  it('names the problem and never echoes a secret', () => {
    const duplicate = `${valid}  - { channel: whatsapp, tenantId: other, appId: app-1, phoneNumberId: '111', accessToken: token-222 }\n`;
    expect(() => parseSocialAccounts(duplicate)).toThrow(
      'SOCIAL_ACCOUNTS_FILE is invalid: accounts.2 whatsapp account 111 is listed twice',
    );
    const unknownApp = valid.replace('appId: app-1', 'appId: app-9');
    expect(() => parseSocialAccounts(unknownApp)).toThrow(
      'accounts.0.appId names no metaApps entry',
    );
    const shortSecret = valid.replace('app-secret-1', 'short');
    expect(() => parseSocialAccounts(shortSecret)).toThrow(ConfigValidationError);
    expect(() => parseSocialAccounts(shortSecret)).not.toThrow(/short/);
    expect(() => parseSocialAccounts('accounts: [')).toThrow('is neither valid YAML nor JSON');
    expect(() => loadSocialAccounts('/nonexistent/accounts.yaml')).toThrow(
      'SOCIAL_ACCOUNTS_FILE cannot be read (ENOENT',
    );
  });
});
