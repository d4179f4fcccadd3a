import { InvalidArgumentError, type Principal } from '@switchboard/grpc-kit';
import { tenantRoutingConfigSchema } from '../configuration/routing-config.schema';
import { toTenantId } from '../configuration/tenant-id';
import { median } from './queue-figures';
import { parseDocument } from './routing-config.usecases';
import { WaitEstimateUseCase } from './wait-estimate.usecase';

const tenant = toTenantId('acme');

describe('routing configuration documents', () => {
  it('accepts YAML and JSON of one tenant entry, with defaults filled in', () => {
    const fromYaml = parseDocument('queues:\n  - id: chat\n    channel: chat\n', tenant);
    const fromJson = parseDocument('{"queues":[{"id":"chat","channel":"chat"}]}', tenant);
    expect(fromYaml).toEqual(fromJson);
    expect(fromYaml).toMatchObject({
      tenant: 'acme',
      queues: [{ id: 'chat', strategy: 'longest_idle', offerTimeoutSeconds: 30 }],
    });
    expect(parseDocument('tenant: acme\nqueues: []', tenant).tenant).toBe('acme');
  });

  it('names the field of every problem', () => {
    const problem = (document: string) => {
      try {
        parseDocument(document, tenant);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidArgumentError);
        return (error as Error).message;
      }
      throw new Error('accepted an invalid document');
    };
    expect(problem('  ')).toBe('document: is required');
    expect(problem('tenant: beta')).toBe(
      "document.tenant: must be the caller's tenant or left out",
    );
    expect(problem('queues: [{ id: chat, channel: chat, offerTimeoutSeconds: -1 }]')).toMatch(
      /^document\.queues\.0\.offerTimeoutSeconds: /,
    );
    expect(problem('queueSelection: { defaultQueue: nope }')).toBe(
      'document.queueSelection.defaultQueue: unknown queue "nope"',
    );
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([])).toBe(0);
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 10])).toBe(3.5);
  });
});

describe('wait estimate model', () => {
  const config = tenantRoutingConfigSchema.parse({
    tenant: 'acme',
    queues: [{ id: 'chat', channel: 'chat' }],
  });
  const system: Principal = { agentId: 'gw', tenantId: 'acme', roles: ['system'], queueIds: [] };

  const estimateWith = (figures: {
    rank: number;
    ready: number;
    online: number;
    intervalMs?: number;
    medianWaitMs?: number;
    open?: boolean;
  }) =>
    new WaitEstimateUseCase(
      { loadTenantConfig: async () => config },
      {
        task: async () => ({ state: 'waiting', queueId: 'chat' }),
        readyCount: async () => figures.ready,
        onlineMemberCount: async () => figures.online,
        waitingRank: async () => figures.rank,
      },
      {
        recentOfferIntervalMs: async () => figures.intervalMs,
        recentMedianWaitMs: async () => figures.medianWaitMs,
      },
      { isOpen: () => figures.open ?? true },
      { now: () => 0 },
    ).execute(system, 'conv-1');

  it('is 0 when enough agents are available for the position', async () => {
    expect(await estimateWith({ rank: 1, ready: 2, online: 2, intervalMs: 30_000 })).toMatchObject({
      state: 'waiting',
      position: 2,
      expectedWaitSeconds: 0,
      agentsOnline: true,
    });
  });

  it('is position × the median time between recent offers otherwise', async () => {
    expect(
      (await estimateWith({ rank: 2, ready: 0, online: 1, intervalMs: 40_000 }))
        .expectedWaitSeconds,
    ).toBe(120);
  });

  it('falls back to the recent median wait, then to 0 (unknown)', async () => {
    expect(
      (await estimateWith({ rank: 2, ready: 0, online: 1, medianWaitMs: 50_000 }))
        .expectedWaitSeconds,
    ).toBe(50);
    expect((await estimateWith({ rank: 2, ready: 0, online: 1 })).expectedWaitSeconds).toBe(0);
  });

  it('reports no agents online when none is, or when the queue is closed', async () => {
    expect((await estimateWith({ rank: 0, ready: 0, online: 0 })).agentsOnline).toBe(false);
    expect(await estimateWith({ rank: 0, ready: 1, online: 1, open: false })).toMatchObject({
      agentsOnline: false,
      openNow: false,
    });
  });
});
