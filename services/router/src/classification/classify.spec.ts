import {
  parseRoutingConfig,
  type TenantRoutingConfig,
} from '../configuration/routing-config.schema';
import { type ClassificationInput, RuleAndModelClassifier } from './classify';
import { TopicModelCache } from './topic-model';
import { containsPhrase, tokenizeWords } from './word-tokenizer';

const examples = [
  { topic: 'billing', text: 'I was charged twice on my credit card' },
  { topic: 'billing', text: 'Please send the invoice for last month' },
  { topic: 'billing', text: 'The payment failed but money left my bank account' },
  { topic: 'billing', text: 'Why is there an extra fee on my bill' },
  { topic: 'shipping', text: 'My parcel has not arrived yet' },
  { topic: 'shipping', text: 'The tracking number for the delivery does not work' },
  { topic: 'shipping', text: 'The courier left the package at the wrong address' },
  { topic: 'shipping', text: 'When will my order be delivered' },
];

function tenant(classification: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    tenant: 'acme',
    skills: ['billing', 'shipping'],
    queues: [
      { id: 'chat', channel: 'chat' },
      { id: 'email', channel: 'email' },
      { id: 'billing-email', channel: 'email', requiredSkills: { billing: 3 } },
      { id: 'billing-chat', channel: 'chat' },
    ],
    classification,
    ...extra,
  };
}

function configOf(classification: Record<string, unknown>): TenantRoutingConfig {
  return parseRoutingConfig({ tenants: [tenant(classification)] }).tenants[0]!;
}

const baseClassification = {
  topics: [
    {
      id: 'billing',
      queue: 'billing-email',
      queueByChannel: { chat: 'billing-chat' },
      requiredSkills: { billing: 5 },
    },
    { id: 'shipping', requiredSkills: { shipping: 4 } },
    { id: 'sales' },
  ],
  topicRules: [
    { id: 'refund-words', topic: 'billing', keywords: ['refund', 'credit card'] },
    { id: 'order-number', topic: 'shipping', regex: 'order\\s*#\\d{4,}' },
    { id: 'partner-chat', topic: 'sales', senderDomains: ['partner.com'], channels: ['chat'] },
    { id: 'prechat-billing', topic: 'billing', preChatTopics: ['Payments & invoices'] },
  ],
  classifier: { minConfidence: 0.8, examples },
  priorityRules: [
    { id: 'vip-domains', priority: 'high', vip: { senderDomains: ['bigcustomer.com'] } },
    { id: 'vip-ceo', priority: 'urgent', vip: { senderAddresses: ['ceo@example.org'] } },
    { id: 'vip-contact', priority: 'high', vip: { contactIds: ['contact-7'] } },
    { id: 'angry', priority: 'high', negativeSentiment: { scoreAtOrBelow: -4 } },
  ],
};

const input = (overrides: Partial<ClassificationInput>): ClassificationInput => ({
  channel: 'email',
  contactId: 'contact-1',
  priority: 'normal',
  ...overrides,
});

describe('word tokenizer', () => {
  it('splits Unicode text into lower-case words and keeps inner apostrophes', () => {
    expect(tokenizeWords('Où est ma COMMANDE #1042? Don’t worry—Straße, заказ!')).toEqual([
      'où',
      'est',
      'ma',
      'commande',
      '1042',
      "don't",
      'worry',
      'straße',
      'заказ',
    ]);
  });

  it('finds phrases only as whole consecutive words', () => {
    const words = tokenizeWords('My credit card was refunded');
    expect(containsPhrase(words, ['credit', 'card'])).toBe(true);
    expect(containsPhrase(words, ['card', 'credit'])).toBe(false);
    expect(containsPhrase(words, ['refund'])).toBe(false);
  });
});

describe('classify', () => {
  const classifier = new RuleAndModelClassifier();
  const config = configOf(baseClassification);

  it('takes the first matching topic rule: keyword, whole word, any case', () => {
    const result = classifier.classify(
      input({ subject: 'REFUND please', text: 'Order #12345 was wrong' }),
      config,
    );
    expect(result).toMatchObject({
      topic: 'billing',
      queueId: 'billing-email',
      requiredSkills: { billing: 5 },
    });
    expect(result.rulesFired[0]).toBe('topic billing ← keyword rule refund-words ("refund")');
  });

  it('does not match a keyword inside another word', () => {
    const result = classifier.classify(input({ text: 'It was refunded already' }), config);
    expect(result.rulesFired.join('\n')).not.toContain('refund-words');
  });

  it('matches phrases, regular expressions and the topic queue of the channel', () => {
    const phrase = classifier.classify(
      input({ channel: 'chat', text: 'my Credit  Card!' }),
      config,
    );
    expect(phrase).toMatchObject({ topic: 'billing', queueId: 'billing-chat' });
    expect(phrase.rulesFired[0]).toContain('("credit card")');
    const regex = classifier.classify(input({ text: 'Where is ORDER #10422' }), config);
    expect(regex).toMatchObject({ topic: 'shipping', queueId: undefined });
    expect(regex.requiredSkills).toEqual({ shipping: 4 });
    expect(regex.rulesFired[0]).toBe(
      'topic shipping ← regex rule order-number (matched "ORDER #10422")',
    );
  });

  it('needs every condition of a rule: sender domain (or subdomain) and channel', () => {
    const partnerChat = classifier.classify(
      input({ channel: 'chat', senderAddress: 'ann@eu.partner.com', text: 'hi' }),
      config,
    );
    expect(partnerChat.topic).toBe('sales');
    expect(partnerChat.rulesFired[0]).toBe(
      'topic sales ← rule partner-chat (sender domain partner.com, channel chat)',
    );
    expect(
      classifier.classify(input({ senderAddress: 'ann@partner.com', text: 'hi' }), config).topic,
    ).toBeUndefined(); // email, not chat
    expect(
      classifier.classify(
        input({ channel: 'chat', senderAddress: 'ann@notpartner.com', text: 'hi' }),
        config,
      ).topic,
    ).toBeUndefined();
  });

  it('matches the pre-chat choice case-insensitively', () => {
    const result = classifier.classify(
      input({ channel: 'chat', preChatTopic: ' payments & INVOICES ', text: 'hello' }),
      config,
    );
    expect(result.topic).toBe('billing');
    expect(result.rulesFired[0]).toBe(
      'topic billing ← pre-chat rule prechat-billing (pre-chat choice "payments & invoices")',
    );
  });

  it('falls back to the trained classifier, only above the minimum confidence', () => {
    const confident = classifier.classify(
      input({ text: 'my parcel has still not arrived, the tracking number does not work' }),
      config,
    );
    expect(confident.topic).toBe('shipping');
    expect(confident.rulesFired[0]).toMatch(/^topic shipping ← classifier p=0\.\d\d$/);

    const strict = configOf({
      ...baseClassification,
      classifier: { minConfidence: 0.99, examples },
    });
    const unsure = classifier.classify(input({ text: 'the bill for my parcel' }), strict);
    expect(unsure.topic).toBeUndefined();
    expect(unsure.rulesFired[0]).toMatch(
      /^classifier: topic \w+ p=0\.\d\d below the minimum 0\.99, not used$/,
    );
    const unknownWords = classifier.classify(input({ text: 'xyzzy plugh' }), config);
    expect(unknownWords.topic).toBeUndefined();
    expect(unknownWords.rulesFired[0]).toBe('classifier: no known word, no topic');
  });

  it('detects the language of long enough text and scores sentiment of English only', () => {
    const french = classifier.classify(
      input({ text: "Bonjour, je n'ai toujours pas reçu ma commande, pouvez-vous vérifier ?" }),
      config,
    );
    expect(french.language).toBe('fr');
    expect(french.sentiment).toBeUndefined();
    expect(french.rulesFired).toEqual(
      expect.arrayContaining([
        'language fr ← tinyld',
        'sentiment not scored: language fr (AFINN-165 is English only)',
      ]),
    );
    const english = classifier.classify(
      input({ text: 'This is a terrible and awful experience, I am furious about the delay' }),
      config,
    );
    expect(english.language).toBe('en');
    expect(english.sentiment?.score).toBeLessThanOrEqual(-4);
    expect(english.rulesFired).toContain(`sentiment ${english.sentiment?.score} ← AFINN-165`);
    const short = classifier.classify(input({ text: 'Hallo?' }), config);
    expect(short.language).toBeUndefined();
    expect(short.rulesFired).toContain(
      'language not detected: 5 letters, fewer than 24; sentiment not scored',
    );
  });

  it('raises priority to the highest matching rule, never below the conversation’s own', () => {
    const angryVip = classifier.classify(
      input({
        senderAddress: 'CEO@example.org',
        text: 'This is a terrible and awful experience, I am furious about the delay',
      }),
      config,
    );
    expect(angryVip.priority).toBe('urgent');
    expect(angryVip.rulesFired).toEqual(
      expect.arrayContaining([
        'priority urgent ← vip rule vip-ceo (sender ceo@example.org)',
        expect.stringMatching(/^negative-sentiment rule angry also matched \(high\), not higher$/),
      ]),
    );
    const byDomain = classifier.classify(input({ senderAddress: 'bo@bigcustomer.com' }), config);
    expect(byDomain.priority).toBe('high');
    expect(byDomain.rulesFired).toContain(
      'priority high ← vip rule vip-domains (sender domain bigcustomer.com)',
    );
    const byContact = classifier.classify(input({ contactId: 'contact-7' }), config);
    expect(byContact.rulesFired).toContain(
      'priority high ← vip rule vip-contact (contact contact-7)',
    );
    const alreadyUrgent = classifier.classify(
      input({ contactId: 'contact-7', priority: 'urgent' }),
      config,
    );
    expect(alreadyUrgent.priority).toBe('urgent');
    expect(alreadyUrgent.rulesFired).toEqual([
      'priority urgent ← conversation',
      'vip rule vip-contact also matched (high), not higher',
    ]);
  });

  it('classifies without a classification section: only language, sentiment and priority', () => {
    const plain = parseRoutingConfig({ tenants: [{ tenant: 'plain' }] }).tenants[0]!;
    expect(classifier.classify(input({}), plain)).toEqual({
      requiredSkills: {},
      priority: 'normal',
      rulesFired: ['priority normal ← conversation'],
    });
  });

  it('trains a model once per training set, however often the configuration is reloaded', () => {
    const models = new TopicModelCache();
    const counting = new RuleAndModelClassifier(models);
    for (let reload = 0; reload < 3; reload += 1) {
      counting.classify(input({ text: 'where is my parcel' }), configOf(baseClassification));
    }
    expect(models.size).toBe(1);
    counting.classify(
      input({ text: 'where is my parcel' }),
      configOf({
        ...baseClassification,
        classifier: { examples: [...examples, { topic: 'sales', text: 'a quote for ten seats' }] },
      }),
    );
    expect(models.size).toBe(2);
  });
});

describe('classification configuration', () => {
  const parse = (classification: Record<string, unknown>) => () =>
    parseRoutingConfig({ tenants: [tenant(classification)] });

  it('names the path of a bad regular expression', () => {
    expect(
      parse({
        topics: [{ id: 'billing' }],
        topicRules: [{ id: 'broken', topic: 'billing', regex: 'order (#' }],
      }),
    ).toThrow(/tenants\.0\.classification\.topicRules\.0\.regex: invalid regular expression/);
  });

  it('refuses what RE2 cannot run in linear time (lookaround, backreferences), saying why', () => {
    for (const regex of ['(?<=order )#\\d+', '(ab)\\1']) {
      expect(
        parse({
          topics: [{ id: 'billing' }],
          topicRules: [{ id: 'clever', topic: 'billing', regex }],
        }),
      ).toThrow(/topicRules\.0\.regex: invalid regular expression: error parsing regexp/);
    }
  });

  it('answers a pattern that backtracks catastrophically in JavaScript, on a long message', () => {
    // `(a+)+$` against "aaa…a!" takes exponential time with RegExp; RE2 answers "no match".
    const evil = configOf({
      topics: [{ id: 'billing' }],
      topicRules: [{ id: 'evil', topic: 'billing', regex: '(a+)+$' }],
    });
    const classifier = new RuleAndModelClassifier();
    const result = classifier.classify(input({ text: `${'a'.repeat(20_000)}!` }), evil);
    expect(result.rulesFired.join('\n')).not.toContain('evil');
    expect(classifier.classify(input({ text: 'aaaa' }), evil).topic).toBe('billing');
  });

  it('names unknown topics, queues and skills, duplicates and empty rules', () => {
    const check = parse({
      topics: [
        { id: 'billing', queue: 'nowhere', requiredSkills: { cooking: 2 } },
        { id: 'billing' },
      ],
      topicRules: [
        { id: 'r1', topic: 'sales', keywords: ['quote'] },
        { id: 'r2', topic: 'billing' },
      ],
      priorityRules: [{ id: 'r1', priority: 'high', vip: { contactIds: ['c'] } }],
    });
    expect(check).toThrow('tenants.0.classification.topics.1.id: duplicate id "billing"');
    expect(check).toThrow('tenants.0.classification.priorityRules.0.id: duplicate rule id "r1"');
    expect(check).toThrow('tenants.0.classification.topicRules.0.topic: unknown topic "sales"');
    expect(check).toThrow(
      'tenants.0.classification.topicRules.1: needs at least one condition: keywords, regex, senderDomains, channels or preChatTopics',
    );
    expect(check).toThrow('tenants.0.classification.topics.0.queue: unknown queue "nowhere"');
    expect(check).toThrow(
      'tenants.0.classification.topics.0.requiredSkills.cooking: unknown skill "cooking"',
    );
  });

  it('rejects a classifier that cannot learn and priority rules without a condition', () => {
    expect(
      parse({
        topics: [{ id: 'billing' }, { id: 'shipping' }],
        classifier: {
          examples: [
            { topic: 'billing', text: 'invoice' },
            { topic: 'billing', text: 'refund please' },
          ],
        },
      }),
    ).toThrow(
      /classifier\.examples: needs examples of at least two topics; .*classifier\.examples: needs at least 10 distinct words to learn from, has 3/,
    );
    expect(
      parse({
        topics: [{ id: 'billing' }],
        classifier: { minConfidence: 1, examples },
      }),
    ).toThrow('tenants.0.classification.classifier.minConfidence: must be between 0 and 1');
    expect(parse({ priorityRules: [{ id: 'p', priority: 'high' }] })).toThrow(
      'tenants.0.classification.priorityRules.0: needs exactly one of vip or negativeSentiment',
    );
    expect(parse({ priorityRules: [{ id: 'p', priority: 'high', vip: {} }] })).toThrow(
      'tenants.0.classification.priorityRules.0.vip: needs senderAddresses, senderDomains or contactIds',
    );
  });
});
