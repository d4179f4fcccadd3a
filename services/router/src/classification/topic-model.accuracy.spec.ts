import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { trainingExampleSchema, type TrainingExample } from './classification-config.schema';
import { TopicModel } from './topic-model';

/**
 * Held-out accuracy of the topic classifier on a labelled set of short customer messages written
 * for this test (support-messages.fixture.json: 40 each of billing, shipping, technical, account
 * and cancellation). Each topic is shuffled with a fixed seed and split 30 to train / 10 to test,
 * so the split is the same on every run and every topic is tested equally.
 */

const examples = z
  .array(trainingExampleSchema)
  .parse(JSON.parse(readFileSync(join(__dirname, 'support-messages.fixture.json'), 'utf8')));

/** mulberry32: a small seeded generator, so the shuffle is reproducible. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    [copy[index], copy[other]] = [copy[other]!, copy[index]!];
  }
  return copy;
}

function stratifiedSplit(seed: number, trainShare: number) {
  const random = seededRandom(seed);
  const train: TrainingExample[] = [];
  const test: TrainingExample[] = [];
  const topics = [...new Set(examples.map((example) => example.topic))];
  for (const topic of topics) {
    const ofTopic = shuffled(
      examples.filter((example) => example.topic === topic),
      random,
    );
    const cut = Math.round(ofTopic.length * trainShare);
    train.push(...ofTopic.slice(0, cut));
    test.push(...ofTopic.slice(cut));
  }
  return { train, test, topics };
}

function evaluate(
  train: readonly TrainingExample[],
  test: readonly TrainingExample[],
  minConfidence: number,
) {
  const model = TopicModel.train(train);
  let correct = 0;
  let confident = 0;
  let confidentCorrect = 0;
  const confusions: string[] = [];
  for (const example of test) {
    const prediction = model.predict(example.text);
    const right = prediction?.topic === example.topic;
    if (right) correct += 1;
    else confusions.push(`${example.topic} → ${prediction?.topic ?? 'none'}: ${example.text}`);
    if (prediction && prediction.probability >= minConfidence) {
      confident += 1;
      if (right) confidentCorrect += 1;
    }
  }
  return {
    accuracy: correct / test.length,
    coverage: confident / test.length,
    precisionWhenConfident: confident === 0 ? 0 : confidentCorrect / confident,
    confusions,
  };
}

const percent = (value: number) => `${(value * 100).toFixed(1)} %`;

describe('topic classifier accuracy on a held-out split', () => {
  const { train, test, topics } = stratifiedSplit(20261126, 0.75);

  // The bars: over ten other seeded splits of this set, held-out accuracy ranged 60–82 % (mean
  // 72 %) and topics given at p ≥ 0.8 were right 71–100 % of the time (mean 88 %). This split
  // measures 74 % and 93 %. 60 % is three times chance and what a working model reaches on its
  // worst split; a broken tokenizer, model or label handling falls to chance (see the control).
  it('classifies held-out customer messages far better than chance', () => {
    expect(train).toHaveLength(150);
    expect(test).toHaveLength(50);
    const result = evaluate(train, test, 0.8);
    console.log(
      [
        `topic classifier, ${topics.length} topics, ${train.length} training / ${test.length} held-out messages (seed 20261126):`,
        `  accuracy ${percent(result.accuracy)} (chance ${percent(1 / topics.length)})`,
        `  at minConfidence 0.8: ${percent(result.coverage)} of messages get a topic, ${percent(result.precisionWhenConfident)} of those correctly`,
        ...result.confusions.map((confusion) => `  missed: ${confusion}`),
      ].join('\n'),
    );
    expect(result.accuracy).toBeGreaterThanOrEqual(0.6);
    expect(result.coverage).toBeGreaterThan(0.2);
    expect(result.precisionWhenConfident).toBeGreaterThanOrEqual(0.8);
  });

  it('falls to chance when trained on shuffled labels (the measurement can tell)', () => {
    const random = seededRandom(7);
    const labels = shuffled(
      train.map((example) => example.topic),
      random,
    );
    const scrambled = train.map((example, index) => ({ ...example, topic: labels[index]! }));
    const result = evaluate(scrambled, test, 0.8);
    console.log(`control, shuffled training labels: accuracy ${percent(result.accuracy)}`);
    expect(result.accuracy).toBeLessThan(0.4);
  });
});
