import { RE2JS } from 're2js';
import { channelSchema, prioritySchema } from '@switchboard/events';
import { z } from 'zod';
import { tokenizeWords } from './word-tokenizer';

/**
 * The `classification` section of a tenant's routing configuration: topics (each with the queue
 * and extra skills its conversations need), topic rules tried in order (first match wins), a text
 * classifier trained from the tenant's own examples for conversations no rule matches, and
 * priority rules (VIP senders, negative sentiment).
 */

// Same rule as routing-config.schema's identifiers (not imported from there: that module imports
// this one).
const identifier = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, {
  error: 'must be 1–100 letters, digits, ".", "_" or "-", starting with a letter or digit',
});

const proficiency = z
  .number()
  .int({ error: 'proficiency must be a whole number' })
  .min(1, { error: 'proficiency must be between 1 and 10' })
  .max(10, { error: 'proficiency must be between 1 and 10' });

const domain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/, {
    error: 'must be a domain name such as example.com',
  });

const list = <T extends z.ZodType>(item: T) =>
  z.array(item).min(1, { error: 'must not be empty' }).max(1_000, { error: 'at most 1,000' });

/**
 * Tenant regular expressions run on every message, so they are RE2 (re2js): matching takes time
 * linear in the text whatever the pattern, and one tenant's `(a+)+$` cannot stall routing for all.
 * RE2 syntax has no lookaround or backreferences; such a pattern is refused at load with RE2's
 * message. Case-insensitive, on Unicode code points.
 */
export function compileTopicRegex(pattern: string): RE2JS {
  return RE2JS.compile(pattern, RE2JS.CASE_INSENSITIVE);
}

export const topicConfigSchema = z.object({
  id: identifier,
  name: z.string().optional(),
  /** The queue this topic's conversations go to (instead of their channel's queue). */
  queue: identifier.optional(),
  /** Per-channel queues of the topic, e.g. { chat: billing-chat, email: billing-email }. */
  queueByChannel: z.partialRecord(channelSchema, identifier).default({}),
  /** Skills the topic needs beyond the queue's own, with minimum proficiency. */
  requiredSkills: z.record(identifier, proficiency).default({}),
});
export type TopicConfig = z.infer<typeof topicConfigSchema>;

/** A topic rule matches when every condition it names holds (at least one must be named). */
export const topicRuleSchema = z
  .object({
    id: identifier,
    topic: identifier,
    /** Any of these words or phrases, whole words, case-insensitive, in the subject or text. */
    keywords: list(z.string().trim().min(1).max(200)).optional(),
    /** A regular expression over subject and text (flags "iu"), checked when loaded. */
    regex: z.string().min(1).max(500, { error: 'at most 500 characters' }).optional(),
    /** The sender's address is at one of these domains or a subdomain of one. */
    senderDomains: list(domain).optional(),
    channels: list(channelSchema).optional(),
    /** The topic a chat visitor chose in the pre-chat form (case-insensitive). */
    preChatTopics: list(z.string().trim().min(1).max(200)).optional(),
  })
  .superRefine((rule, context) => {
    const conditions = [
      rule.keywords,
      rule.regex,
      rule.senderDomains,
      rule.channels,
      rule.preChatTopics,
    ];
    if (conditions.every((condition) => condition === undefined)) {
      context.addIssue({
        code: 'custom',
        path: [],
        message:
          'needs at least one condition: keywords, regex, senderDomains, channels or preChatTopics',
      });
    }
    rule.keywords?.forEach((keyword, index) => {
      if (tokenizeWords(keyword).length === 0) {
        context.addIssue({
          code: 'custom',
          path: ['keywords', index],
          message: `"${keyword}" has no letters or digits to match`,
        });
      }
    });
    if (rule.regex !== undefined) {
      try {
        compileTopicRegex(rule.regex);
      } catch (error) {
        context.addIssue({
          code: 'custom',
          path: ['regex'],
          message: `invalid regular expression: ${error instanceof Error ? error.message : String(error)}`,
        });
      }
    }
  });
export type TopicRule = z.infer<typeof topicRuleSchema>;

export const trainingExampleSchema = z.object({
  text: z.string().trim().min(1).max(2_000),
  topic: identifier,
});
export type TrainingExample = z.infer<typeof trainingExampleSchema>;

/** Fewer distinct words than this cannot train anything useful (the library refuses too). */
const MIN_VOCABULARY = 10;

export const classifierConfigSchema = z.object({
  /** A predicted topic is used only with at least this probability (0–1, exclusive). */
  minConfidence: z
    .number()
    .gt(0, { error: 'must be between 0 and 1' })
    .lt(1, { error: 'must be between 0 and 1' })
    .default(0.8),
  examples: z
    .array(trainingExampleSchema)
    .min(2, { error: 'needs at least two examples' })
    .max(20_000, { error: 'at most 20,000 examples' }),
});
export type ClassifierConfig = z.infer<typeof classifierConfigSchema>;

export const priorityRuleSchema = z
  .object({
    id: identifier,
    priority: prioritySchema,
    /** Conversations of these customers. */
    vip: z
      .object({
        senderAddresses: z.array(z.string().trim().toLowerCase().min(1)).default([]),
        senderDomains: z.array(domain).default([]),
        contactIds: z.array(z.string().min(1)).default([]),
      })
      .optional(),
    /** English text whose AFINN-165 score (sum of word scores) is at or below the threshold. */
    negativeSentiment: z
      .object({ scoreAtOrBelow: z.number().negative({ error: 'must be below 0' }) })
      .optional(),
  })
  .superRefine((rule, context) => {
    if ((rule.vip === undefined) === (rule.negativeSentiment === undefined)) {
      context.addIssue({
        code: 'custom',
        path: [],
        message: 'needs exactly one of vip or negativeSentiment',
      });
    }
    const vip = rule.vip;
    if (
      vip &&
      vip.senderAddresses.length + vip.senderDomains.length + vip.contactIds.length === 0
    ) {
      context.addIssue({
        code: 'custom',
        path: ['vip'],
        message: 'needs senderAddresses, senderDomains or contactIds',
      });
    }
  });
export type PriorityRule = z.infer<typeof priorityRuleSchema>;

export const classificationConfigSchema = z
  .object({
    topics: z.array(topicConfigSchema).default([]),
    topicRules: z.array(topicRuleSchema).default([]),
    classifier: classifierConfigSchema.optional(),
    priorityRules: z.array(priorityRuleSchema).default([]),
  })
  .superRefine((section, context) => {
    const topicIds = new Set<string>();
    section.topics.forEach((topic, index) => {
      if (topicIds.has(topic.id)) {
        context.addIssue({
          code: 'custom',
          path: ['topics', index, 'id'],
          message: `duplicate id "${topic.id}"`,
        });
      }
      topicIds.add(topic.id);
    });
    const ruleIds = new Set<string>();
    for (const [kind, rules] of [
      ['topicRules', section.topicRules],
      ['priorityRules', section.priorityRules],
    ] as const) {
      rules.forEach((rule, index) => {
        if (ruleIds.has(rule.id)) {
          context.addIssue({
            code: 'custom',
            path: [kind, index, 'id'],
            message: `duplicate rule id "${rule.id}"`,
          });
        }
        ruleIds.add(rule.id);
      });
    }
    section.topicRules.forEach((rule, index) => {
      if (!topicIds.has(rule.topic)) {
        context.addIssue({
          code: 'custom',
          path: ['topicRules', index, 'topic'],
          message: `unknown topic "${rule.topic}"`,
        });
      }
    });
    const examples = section.classifier?.examples ?? [];
    examples.forEach((example, index) => {
      if (!topicIds.has(example.topic)) {
        context.addIssue({
          code: 'custom',
          path: ['classifier', 'examples', index, 'topic'],
          message: `unknown topic "${example.topic}"`,
        });
      }
    });
    if (section.classifier) {
      if (new Set(examples.map((example) => example.topic)).size < 2) {
        context.addIssue({
          code: 'custom',
          path: ['classifier', 'examples'],
          message: 'needs examples of at least two topics',
        });
      }
      const vocabulary = new Set(examples.flatMap((example) => tokenizeWords(example.text)));
      if (vocabulary.size < MIN_VOCABULARY) {
        context.addIssue({
          code: 'custom',
          path: ['classifier', 'examples'],
          message: `needs at least ${MIN_VOCABULARY} distinct words to learn from, has ${vocabulary.size}`,
        });
      }
    }
  });
export type ClassificationConfig = z.infer<typeof classificationConfigSchema>;

/**
 * Problems of references from the section to the rest of the tenant's configuration (queues and
 * skills), with paths relative to the section.
 */
export function classificationReferenceIssues(
  section: ClassificationConfig,
  known: { queueIds: ReadonlySet<string>; skills: ReadonlySet<string> },
): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  section.topics.forEach((topic, index) => {
    const queues: [(string | number)[], string][] = [
      ...(topic.queue ? [[['queue'], topic.queue] as [(string | number)[], string]] : []),
      ...Object.entries(topic.queueByChannel).map(
        ([channel, queue]) => [['queueByChannel', channel], queue] as [(string | number)[], string],
      ),
    ];
    for (const [path, queue] of queues) {
      if (!known.queueIds.has(queue)) {
        issues.push({ path: ['topics', index, ...path], message: `unknown queue "${queue}"` });
      }
    }
    for (const skill of Object.keys(topic.requiredSkills)) {
      if (!known.skills.has(skill)) {
        issues.push({
          path: ['topics', index, 'requiredSkills', skill],
          message: `unknown skill "${skill}"`,
        });
      }
    }
  });
  return issues;
}
