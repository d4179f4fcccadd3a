import type { RE2JS } from 're2js';
import type { Channel, PriorityName } from '@switchboard/events';
import { PRIORITIES } from '@switchboard/events';
import {
  type ClassificationConfig,
  type PriorityRule,
  compileTopicRegex,
  type TopicConfig,
  type TopicRule,
} from './classification-config.schema';
import {
  detectLanguage,
  MIN_LETTERS_FOR_LANGUAGE,
  scoreEnglishSentiment,
  type SentimentScore,
} from './language-and-sentiment';
import { TopicModelCache } from './topic-model';
import { containsPhrase, tokenizeWords } from './word-tokenizer';

/** What a conversation is classified from: its first routed message and who sent it. */
export interface ClassificationInput {
  channel: Channel;
  contactId: string;
  /** The conversation's own priority. */
  priority: PriorityName;
  subject?: string;
  text?: string;
  /** The customer's address on the channel, e.g. an email address (lower-case). */
  senderAddress?: string;
  /** The topic a chat visitor chose in the pre-chat form. */
  preChatTopic?: string;
}

export interface Classification {
  topic?: string;
  /** The topic's queue for the conversation's channel, if the topic names one. */
  queueId?: string;
  /** The topic's skills, with minimum proficiency. */
  requiredSkills: Record<string, number>;
  /** ISO 639-1 language of subject and text, when long enough to tell. */
  language?: string;
  /** Only for English text. */
  sentiment?: SentimentScore;
  /** The highest of the conversation's own priority and those of the matching priority rules. */
  priority: PriorityName;
  /** What set each of the above: "topic billing ← keyword rule refund-words ("refund")", … */
  rulesFired: string[];
}

/** Classifies a conversation for routing with a tenant's configuration; no I/O. */
export interface ConversationClassifier {
  classify(
    input: ClassificationInput,
    config: { classification?: ClassificationConfig },
  ): Classification;
}

const PRIORITY_RANK = Object.fromEntries(PRIORITIES.map((name, rank) => [name, rank])) as Record<
  PriorityName,
  number
>;

interface CompiledTopicRule {
  rule: TopicRule;
  keywords?: { phrase: string; words: string[] }[];
  regex?: RE2JS;
  preChatTopics?: string[];
}

interface CompiledSection {
  topics: Map<string, TopicConfig>;
  topicRules: CompiledTopicRule[];
}

/** The words and text every topic rule looks at. */
interface Content {
  text: string;
  words: string[];
}

/**
 * Topic rules first, in order, first match wins; else the tenant's trained text classifier,
 * whose topic counts only above the configured confidence. Then language (tinyld), sentiment
 * (AFINN-165, English only) and priority rules. Rules are compiled once per configuration object
 * and models trained once per training set, so classifying is cheap on every event.
 */
export class RuleAndModelClassifier implements ConversationClassifier {
  private readonly compiled = new WeakMap<ClassificationConfig, CompiledSection>();

  constructor(private readonly models = new TopicModelCache()) {}

  classify(
    input: ClassificationInput,
    config: { classification?: ClassificationConfig },
  ): Classification {
    const section = config.classification;
    const text = [input.subject, input.text]
      .map((part) => part?.trim())
      .filter((part): part is string => !!part)
      .join('\n');
    const content: Content = { text, words: tokenizeWords(text) };
    const rulesFired: string[] = [];
    const result: Classification = {
      requiredSkills: {},
      priority: input.priority,
      rulesFired,
    };

    if (section) {
      const compiled = this.compile(section);
      const topic = this.topicOf(compiled, section, input, content, rulesFired);
      const topicConfig = topic === undefined ? undefined : compiled.topics.get(topic);
      if (topicConfig) {
        result.topic = topicConfig.id;
        result.queueId = topicConfig.queueByChannel[input.channel] ?? topicConfig.queue;
        result.requiredSkills = { ...topicConfig.requiredSkills };
      }
    }

    if (text !== '') {
      const language = detectLanguage(text);
      if (language.kind === 'detected') {
        result.language = language.language;
        rulesFired.push(`language ${language.language} ← tinyld`);
        if (language.language === 'en') {
          result.sentiment = scoreEnglishSentiment(text);
          rulesFired.push(`sentiment ${result.sentiment.score} ← AFINN-165`);
        } else {
          rulesFired.push(
            `sentiment not scored: language ${language.language} (AFINN-165 is English only)`,
          );
        }
      } else {
        rulesFired.push(
          language.kind === 'too_short'
            ? `language not detected: ${language.letters} letters, fewer than ${MIN_LETTERS_FOR_LANGUAGE}; sentiment not scored`
            : 'language not detected by tinyld; sentiment not scored',
        );
      }
    }

    result.priority = this.priorityOf(section?.priorityRules ?? [], input, result, rulesFired);
    return result;
  }

  private topicOf(
    compiled: CompiledSection,
    section: ClassificationConfig,
    input: ClassificationInput,
    content: Content,
    rulesFired: string[],
  ): string | undefined {
    for (const candidate of compiled.topicRules) {
      const matched = matchTopicRule(candidate, input, content);
      if (matched) {
        const kind = matched.length === 1 ? `${matched[0]!.kind} rule` : 'rule';
        const details = matched.map((condition) => condition.detail).join(', ');
        rulesFired.push(
          `topic ${candidate.rule.topic} ← ${kind} ${candidate.rule.id} (${details})`,
        );
        return candidate.rule.topic;
      }
    }
    const classifier = section.classifier;
    if (!classifier || content.words.length === 0) return undefined;
    const prediction = this.models.modelFor(classifier.examples).predict(content.text);
    if (!prediction) {
      rulesFired.push('classifier: no known word, no topic');
      return undefined;
    }
    // Truncated, not rounded: 0.996 is not certainty, and 0.799 must not read as 0.80.
    const p = (Math.floor(prediction.probability * 100) / 100).toFixed(2);
    if (prediction.probability >= classifier.minConfidence) {
      rulesFired.push(`topic ${prediction.topic} ← classifier p=${p}`);
      return prediction.topic;
    }
    rulesFired.push(
      `classifier: topic ${prediction.topic} p=${p} below the minimum ${classifier.minConfidence}, not used`,
    );
    return undefined;
  }

  private priorityOf(
    rules: readonly PriorityRule[],
    input: ClassificationInput,
    classification: Classification,
    rulesFired: string[],
  ): PriorityName {
    const matched = rules
      .map((rule) => ({ rule, detail: matchPriorityRule(rule, input, classification.sentiment) }))
      .filter((match): match is { rule: PriorityRule; detail: string } => !!match.detail);
    // The first of the highest matching rules decides; ties keep configuration order.
    let winner: { rule: PriorityRule; detail: string } | undefined;
    for (const match of matched) {
      if (
        PRIORITY_RANK[match.rule.priority] > PRIORITY_RANK[input.priority] &&
        (!winner || PRIORITY_RANK[match.rule.priority] > PRIORITY_RANK[winner.rule.priority])
      ) {
        winner = match;
      }
    }
    rulesFired.push(
      winner
        ? `priority ${winner.rule.priority} ← ${priorityRuleKind(winner.rule)} rule ${winner.rule.id} (${winner.detail})`
        : `priority ${input.priority} ← conversation`,
    );
    for (const match of matched) {
      if (match !== winner) {
        rulesFired.push(
          `${priorityRuleKind(match.rule)} rule ${match.rule.id} also matched (${match.rule.priority}), not higher`,
        );
      }
    }
    return winner?.rule.priority ?? input.priority;
  }

  private compile(section: ClassificationConfig): CompiledSection {
    const known = this.compiled.get(section);
    if (known) return known;
    const compiled: CompiledSection = {
      topics: new Map(section.topics.map((topic) => [topic.id, topic])),
      topicRules: section.topicRules.map((rule) => ({
        rule,
        keywords: rule.keywords?.map((phrase) => ({ phrase, words: tokenizeWords(phrase) })),
        // Validated when the configuration was loaded.
        regex: rule.regex === undefined ? undefined : compileTopicRegex(rule.regex),
        preChatTopics: rule.preChatTopics?.map((topic) => topic.trim().toLowerCase()),
      })),
    };
    this.compiled.set(section, compiled);
    return compiled;
  }
}

type ConditionKind = 'keyword' | 'regex' | 'sender domain' | 'channel' | 'pre-chat';

/** The conditions of the rule with what matched each, or undefined unless all of them hold. */
function matchTopicRule(
  candidate: CompiledTopicRule,
  input: ClassificationInput,
  content: Content,
): { kind: ConditionKind; detail: string }[] | undefined {
  const { rule } = candidate;
  const matched: { kind: ConditionKind; detail: string }[] = [];
  if (candidate.keywords) {
    const keyword = candidate.keywords.find(({ words }) => containsPhrase(content.words, words));
    if (!keyword) return undefined;
    matched.push({ kind: 'keyword', detail: JSON.stringify(keyword.phrase) });
  }
  if (candidate.regex) {
    const matcher = candidate.regex.matcher(content.text);
    if (!matcher.find()) return undefined;
    const found = matcher.group() ?? '';
    matched.push({ kind: 'regex', detail: `matched ${JSON.stringify(found.slice(0, 60))}` });
  }
  if (rule.senderDomains) {
    const domain = rule.senderDomains.find((candidateDomain) =>
      isAtDomain(input.senderAddress, candidateDomain),
    );
    if (!domain) return undefined;
    matched.push({ kind: 'sender domain', detail: `sender domain ${domain}` });
  }
  if (rule.channels) {
    if (!rule.channels.includes(input.channel)) return undefined;
    matched.push({ kind: 'channel', detail: `channel ${input.channel}` });
  }
  if (candidate.preChatTopics) {
    const chosen = input.preChatTopic?.trim().toLowerCase();
    if (chosen === undefined || !candidate.preChatTopics.includes(chosen)) return undefined;
    matched.push({ kind: 'pre-chat', detail: `pre-chat choice ${JSON.stringify(chosen)}` });
  }
  return matched;
}

/** What made the rule match, or undefined when it does not. */
function matchPriorityRule(
  rule: PriorityRule,
  input: ClassificationInput,
  sentiment: SentimentScore | undefined,
): string | undefined {
  if (rule.vip) {
    const address = input.senderAddress?.trim().toLowerCase();
    if (address && rule.vip.senderAddresses.includes(address)) return `sender ${address}`;
    const domain = rule.vip.senderDomains.find((candidate) => isAtDomain(address, candidate));
    if (domain) return `sender domain ${domain}`;
    if (rule.vip.contactIds.includes(input.contactId)) return `contact ${input.contactId}`;
    return undefined;
  }
  if (rule.negativeSentiment && sentiment) {
    const threshold = rule.negativeSentiment.scoreAtOrBelow;
    return sentiment.score <= threshold ? `sentiment ${sentiment.score} ≤ ${threshold}` : undefined;
  }
  return undefined;
}

function priorityRuleKind(rule: PriorityRule): string {
  return rule.vip ? 'vip' : 'negative-sentiment';
}

/** Whether the address is at the domain or one of its subdomains (support.acme.com at acme.com). */
function isAtDomain(address: string | undefined, domain: string): boolean {
  const at = address?.lastIndexOf('@') ?? -1;
  if (!address || at < 0) return false;
  const own = address.slice(at + 1).toLowerCase();
  return own === domain || own.endsWith(`.${domain}`);
}
