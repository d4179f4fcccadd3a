import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigValidationError } from '@switchboard/config';
import { loadConversationConfig } from '../config/conversation.config';
import { overdueTargets } from './check-sla-breaches.usecase';
import { loadSlaConfigFile, parseSlaConfig } from '../config/sla-config';
import { DEFAULT_SLA_TARGETS, retimeSlaClocks, SlaPolicy } from './sla-policy';

describe('SlaPolicy', () => {
  it('defaults first-response targets by channel: email 1 h, chat 1 min, social 1 h', () => {
    const policy = new SlaPolicy();
    const at = (channel: 'email' | 'chat' | 'whatsapp') =>
      policy.targetsFor({ tenantId: 't', channel, priority: 'normal' }).firstResponseMs;
    expect([at('email'), at('chat'), at('whatsapp')]).toEqual([3_600_000, 60_000, 3_600_000]);
  });

  it('resolves tenant + queue + priority > tenant + queue > tenant + priority > tenant > defaults', () => {
    const policy = new SlaPolicy([
      { tenantId: 't', queueId: 'vip', priority: 'urgent', targets: { firstResponseMs: 1_000 } },
      {
        tenantId: 't',
        priority: 'urgent',
        targets: { firstResponseMs: 2_000, nextResponseMs: 20 },
      },
      { tenantId: 't', targets: { firstResponseMs: 4_000, resolutionMs: 40 } },
      { tenantId: 't', queueId: 'vip', targets: { firstResponseMs: 3_000 } },
      { tenantId: 'u', targets: { firstResponseMs: 9_000 } },
    ]);
    const targets = (queueId: string | undefined, priority: 'normal' | 'urgent') =>
      policy.targetsFor({ tenantId: 't', channel: 'email', queueId, priority });
    expect(targets('vip', 'urgent').firstResponseMs).toBe(1_000);
    expect(targets('vip', 'normal').firstResponseMs).toBe(3_000);
    expect(targets('other', 'urgent').firstResponseMs).toBe(2_000);
    expect(targets(undefined, 'normal').firstResponseMs).toBe(4_000);
    // Each target comes from the most specific level that names it.
    expect(targets('vip', 'urgent')).toEqual({
      firstResponseMs: 1_000,
      nextResponseMs: 20,
      resolutionMs: 40,
    });
    expect(targets('vip', 'normal').nextResponseMs).toBe(DEFAULT_SLA_TARGETS.email.nextResponseMs);
    expect(policy.targetsFor({ tenantId: 'other', channel: 'chat', priority: 'urgent' })).toEqual(
      DEFAULT_SLA_TARGETS.chat,
    );
  });

  it('moves running clocks to new targets from their start, leaving stopped ones alone', () => {
    const sla = retimeSlaClocks(
      {
        firstResponseDueAt: new Date('2026-11-25T11:00:00.000Z'),
        resolutionDueAt: new Date('2026-11-26T10:00:00.000Z'),
        breached: ['next_response'],
      },
      { firstResponseMs: 3_600_000, nextResponseMs: 1, resolutionMs: 86_400_000 },
      { firstResponseMs: 600_000, nextResponseMs: 2, resolutionMs: 7_200_000 },
    );
    expect(sla).toEqual({
      firstResponseDueAt: new Date('2026-11-25T10:10:00.000Z'),
      nextResponseDueAt: undefined,
      resolutionDueAt: new Date('2026-11-25T12:00:00.000Z'),
      breached: ['next_response'],
    });
  });
});

describe('the SLA file (SLA_CONFIG_FILE)', () => {
  const file = `
defaults:
  chat: { firstResponse: 2m }
tenants:
  acme:
    targets: { firstResponse: 30m, resolution: 2d }
    priorities:
      urgent: { firstResponse: 10m }
    queues:
      vip:
        targets: { firstResponse: 15m }
        priorities:
          urgent: { firstResponse: 90s }
`;

  it('becomes defaults and rules that resolve most specific first', () => {
    const config = parseSlaConfig(file);
    expect(config.defaults.chat).toEqual({ ...DEFAULT_SLA_TARGETS.chat, firstResponseMs: 120_000 });
    expect(config.defaults.email).toEqual(DEFAULT_SLA_TARGETS.email);
    const policy = new SlaPolicy(config.rules, config.defaults);
    const first = (queueId: string | undefined, priority: 'normal' | 'urgent') =>
      policy.targetsFor({ tenantId: 'acme', channel: 'email', queueId, priority }).firstResponseMs;
    expect([first('vip', 'urgent'), first('vip', 'normal'), first('x', 'urgent')]).toEqual([
      90_000, 900_000, 600_000,
    ]);
    expect(policy.targetsFor({ tenantId: 'acme', channel: 'chat', priority: 'normal' })).toEqual({
      ...DEFAULT_SLA_TARGETS.chat,
      firstResponseMs: 1_800_000,
      resolutionMs: 172_800_000,
    });
    expect(policy.targetsFor({ tenantId: 'beta', channel: 'chat', priority: 'low' })).toEqual(
      config.defaults.chat,
    );
  });

  it('refuses a bad file with one line naming the file and the field', () => {
    const problem = (text: string) => {
      try {
        parseSlaConfig(text, 'SLA_CONFIG_FILE /etc/sla.yaml');
      } catch (error) {
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(problem('tenants:\n  acme:\n    targets: { firstResponse: soon }\n')).toBe(
      'invalid configuration: SLA_CONFIG_FILE /etc/sla.yaml is invalid: ' +
        'tenants.acme.targets.firstResponse must be a duration like 90s, 15m, 4h or 2d',
    );
    expect(
      problem('tenants:\n  acme:\n    priorities: { critical: { resolution: 1h } }\n'),
    ).toMatch(/tenants\.acme\.priorities Unrecognized key: "critical"/);
    expect(problem('tenants:\n  acme:\n    targets: { firstReponse: 1h }\n')).toMatch(
      /firstReponse/,
    );
    expect(problem('tenants: [: oops')).toContain('is neither valid YAML nor JSON');
    expect(problem('')).toBe('accepted');
    expect(() => loadSlaConfigFile('/nonexistent/sla.yaml')).toThrow(
      'invalid configuration: SLA_CONFIG_FILE cannot be read (ENOENT: /nonexistent/sla.yaml)',
    );
  });
});

describe('start-up configuration', () => {
  const env = {
    KAFKA_BROKERS: '127.0.0.1:9092',
    MONGODB_URI: 'mongodb://127.0.0.1:27017',
    AUTH_JWT_SECRET: 'x'.repeat(32),
  };

  it('uses the built-in targets without SLA_CONFIG_FILE and stops on a bad file with one line', () => {
    expect(loadConversationConfig(env).sla).toEqual({ defaults: DEFAULT_SLA_TARGETS, rules: [] });
    const directory = mkdtempSync(join(tmpdir(), 'sla-'));
    const path = join(directory, 'sla.yaml');
    writeFileSync(path, 'tenants:\n  acme:\n    targets: { resolution: -1h }\n');
    try {
      expect(() => loadConversationConfig({ ...env, SLA_CONFIG_FILE: path })).toThrow(
        new ConfigValidationError(
          `SLA_CONFIG_FILE ${path}`,
          'is invalid: tenants.acme.targets.resolution must be a duration like 90s, 15m, 4h or 2d',
        ),
      );
    } finally {
      rmSync(directory, { recursive: true });
    }
  });
});

describe('overdueTargets', () => {
  const now = new Date('2026-11-25T12:00:00.000Z');

  it('reports each overdue target once and stops its clock', () => {
    const { breached, sla } = overdueTargets(
      {
        firstResponseDueAt: new Date('2026-11-25T11:00:00.000Z'),
        nextResponseDueAt: new Date('2026-11-25T13:00:00.000Z'),
        resolutionDueAt: now,
        breached: [],
      },
      now,
    );
    expect(breached).toEqual(['first_response', 'resolution']);
    expect(sla.firstResponseDueAt).toBeUndefined();
    expect(sla.resolutionDueAt).toBeUndefined();
    expect(sla.nextResponseDueAt).toEqual(new Date('2026-11-25T13:00:00.000Z'));
    expect(overdueTargets(sla, now).breached).toEqual([]);
  });
});
