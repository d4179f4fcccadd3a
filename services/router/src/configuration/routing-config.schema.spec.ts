import { eligibleQueues, parseRoutingConfig, RoutingConfigError } from './routing-config.schema';

const valid = {
  tenants: [
    {
      tenant: 'acme',
      skills: ['billing', 'tech'],
      queues: [
        { id: 'billing', channel: 'chat', requiredSkills: { billing: 5 } },
        { id: 'general', channel: 'email' },
      ],
      agents: [{ id: 'ann', skills: { billing: 7 }, capacity: { chat: 3, email: 5 } }],
    },
  ],
};

describe('routing configuration', () => {
  it('fills defaults', () => {
    const [tenant] = parseRoutingConfig(valid).tenants;
    expect(tenant?.queues[0]).toMatchObject({
      strategy: 'longest_idle',
      offerTimeoutSeconds: 30,
      autoAccept: false,
    });
    expect(tenant?.agents[0]).toMatchObject({ languages: ['en'], capacity: { chat: 3, email: 5 } });
  });

  it('names the path of every problem', () => {
    const broken = structuredClone(valid) as { tenants: Record<string, unknown>[] };
    broken.tenants[0]!.agents = [
      { id: 'ann', skills: { cooking: 3 } },
      { id: 'ann', skills: { billing: 11 } },
    ];
    expect(() => parseRoutingConfig(broken)).toThrow(RoutingConfigError);
    expect(() => parseRoutingConfig(broken)).toThrow(
      /tenants\.0\.agents\.1\.skills\.billing: proficiency must be between 1 and 10/,
    );
    expect(() => parseRoutingConfig({ tenants: [] })).toThrow(
      'tenants: must list at least one tenant',
    );
    const unknownSkill = structuredClone(valid) as { tenants: { agents: unknown[] }[] };
    unknownSkill.tenants[0]!.agents = [{ id: 'bo', skills: { cooking: 3 } }];
    expect(() => parseRoutingConfig(unknownSkill)).toThrow(
      'tenants.0.agents.0.skills.cooking: unknown skill "cooking"',
    );
  });

  it('derives the queues an agent may serve from required skill levels', () => {
    const queues = parseRoutingConfig(valid).tenants[0]!.queues;
    expect(eligibleQueues({ skills: { billing: 7 } }, queues)).toEqual(['billing', 'general']);
    expect(eligibleQueues({ skills: { billing: 4 } }, queues)).toEqual(['general']);
  });
});
