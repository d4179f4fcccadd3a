import { createHash } from 'node:crypto';
import naiveBayesTextClassifier from 'wink-naive-bayes-text-classifier';
import type { TrainingExample } from './classification-config.schema';
import { TOKENIZER_VERSION, tokenizeWords } from './word-tokenizer';

export interface TopicPrediction {
  topic: string;
  /** The model's probability of this topic against all the others together (0–1). */
  probability: number;
}

/** What the classifier takes from the training set: each word once per example (see below). */
const MODEL_SETTINGS = { considerOnlyPresence: true, smoothingFactor: 0.5 } as const;

/**
 * A multinomial naive Bayes text classifier (wink-naive-bayes-text-classifier) over the words of
 * word-tokenizer.ts. Support messages are short, so a word counts once per message (binarised)
 * and additive smoothing is 0.5 rather than 1, which would flatten the little evidence there is.
 */
export class TopicModel {
  private constructor(private readonly classifier: ReturnType<typeof naiveBayesTextClassifier>) {}

  /** Throws for fewer than two topics or ten distinct words (the configuration schema checks). */
  static train(examples: readonly TrainingExample[]): TopicModel {
    const classifier = naiveBayesTextClassifier();
    classifier.defineConfig(MODEL_SETTINGS);
    classifier.definePrepTasks([tokenizeWords]);
    for (const example of examples) classifier.learn(example.text, example.topic);
    classifier.consolidate();
    return new TopicModel(classifier);
  }

  /** The most likely topic, or undefined when the text has no word the model knows. */
  predict(text: string): TopicPrediction | undefined {
    const [best] = this.classifier.computeOdds(text);
    if (!best || best[1] === 0) return undefined;
    const [topic, log2Odds] = best;
    return { topic, probability: 1 / (1 + 2 ** -log2Odds) };
  }
}

/**
 * Trained models by training-set content, so a tenant's model is trained once per version of its
 * examples (and shared by tenants with identical examples), however often its configuration is
 * reloaded. Bounded: the least recently used model goes first.
 */
export class TopicModelCache {
  private readonly byExamples = new WeakMap<readonly TrainingExample[], TopicModel>();
  private readonly byVersion = new Map<string, TopicModel>();

  constructor(private readonly maxModels = 200) {}

  modelFor(examples: readonly TrainingExample[]): TopicModel {
    const known = this.byExamples.get(examples);
    if (known) return known;
    const version = trainingSetVersion(examples);
    let model = this.byVersion.get(version);
    if (model) {
      this.byVersion.delete(version); // re-inserted below as the most recently used
    } else {
      model = TopicModel.train(examples);
    }
    this.byVersion.set(version, model);
    if (this.byVersion.size > this.maxModels) {
      const oldest = this.byVersion.keys().next().value;
      if (oldest !== undefined) this.byVersion.delete(oldest);
    }
    this.byExamples.set(examples, model);
    return model;
  }

  get size(): number {
    return this.byVersion.size;
  }
}

/** A digest of the examples, the tokenizer and the model settings: equal digests, equal models. */
export function trainingSetVersion(examples: readonly TrainingExample[]): string {
  const hash = createHash('sha256');
  hash.update(`${TOKENIZER_VERSION}\n${JSON.stringify(MODEL_SETTINGS)}\n`);
  for (const example of examples) hash.update(`${JSON.stringify([example.topic, example.text])}\n`);
  return hash.digest('hex');
}
