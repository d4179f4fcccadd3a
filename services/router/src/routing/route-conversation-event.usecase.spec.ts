import type { ConversationEvent } from '@switchboard/events';
import type { Classification } from '../classification/classify';
import { parseRoutingConfig } from '../configuration/routing-config.schema';
import { selectQueue, taskRequirements } from './route-conversation-event.usecase';

const config = parseRoutingConfig({
  tenants: [
    {
      tenant: 'acme',
      skills: ['billing'],
      queues: [
        { id: 'chat', channel: 'chat' },
        { id: 'billing', channel: 'chat' },
        { id: 'vip', channel: 'chat' },
      ],
      agents: [
        { id: 'ann', languages: ['en', 'fr'], skills: { billing: 6 }, capacity: { chat: 2 } },
        { id: 'bob', languages: ['en', 'de'], skills: { billing: 3 }, capacity: { chat: 2 } },
        { id: 'cem', languages: ['tr'], skills: { billing: 9 }, capacity: { email: 2 } },
      ],
      queueSelection: { byChannel: { chat: 'chat' }, defaultQueue: 'chat' },
    },
  ],
}).tenants[0]!;

const conversation = (queueId?: string): ConversationEvent['conversation'] => ({
  channel: 'chat',
  threadKey: 't',
  status: 'open',
  priority: 'normal',
  tags: [],
  contactId: 'c',
  queueId,
});

const classified = (overrides: Partial<Classification>): Classification => ({
  requiredSkills: {},
  priority: 'normal',
  rulesFired: [],
  ...overrides,
});

const queue = (id: string) => config.queues.find((candidate) => candidate.id === id)!;

describe('queue selection with a topic', () => {
  it('puts the topic’s queue before the channel’s, and keeps a conversation’s own queue first', () => {
    const billing = classified({ topic: 'billing', queueId: 'billing' });
    expect(selectQueue(config, conversation(), billing)).toEqual({
      queue: queue('billing'),
      rule: 'topic billing → queue billing',
    });
    expect(selectQueue(config, conversation('vip'), billing)?.rule).toBe(
      'conversation already in queue vip',
    );
    expect(selectQueue(config, conversation(), classified({}))?.rule).toBe(
      'channel chat → queue chat',
    );
  });
});

describe('task requirements', () => {
  it('requires the topic’s skills and a language some agent of the queue speaks', () => {
    const result = taskRequirements(
      config,
      queue('billing'),
      classified({
        topic: 'billing',
        queueId: 'billing',
        requiredSkills: { billing: 5 },
        language: 'fr',
      }),
    );
    expect(result).toEqual({
      language: 'fr',
      requiredSkills: { billing: 5 },
      rules: [
        'skills billing ≥ 5 ← topic billing',
        'language fr required: spoken by 1 of 1 agents able to serve it in queue billing',
      ],
    });
  });

  it('does not require a language no agent of the queue with the skills speaks', () => {
    // bob speaks German but lacks billing 5; cem speaks Turkish but has no chat capacity.
    for (const language of ['de', 'tr']) {
      const result = taskRequirements(
        config,
        queue('billing'),
        classified({
          topic: 'billing',
          queueId: 'billing',
          requiredSkills: { billing: 5 },
          language,
        }),
      );
      expect(result.language).toBe('');
      expect(result.rules).toContain(
        `language ${language} detected; no agent of queue billing speaks it, not required`,
      );
    }
  });

  it('leaves out the topic’s skills when the conversation stays in another queue', () => {
    const result = taskRequirements(
      config,
      queue('vip'),
      classified({ topic: 'billing', queueId: 'billing', requiredSkills: { billing: 5 } }),
    );
    expect(result).toEqual({
      language: '',
      requiredSkills: {},
      rules: ['skills of topic billing not required: the conversation stays in queue vip'],
    });
  });
});
