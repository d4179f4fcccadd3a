// The part of wink-naive-bayes-text-classifier 2.x (CommonJS, untyped) that topic-model.ts uses.
declare module 'wink-naive-bayes-text-classifier' {
  interface NaiveBayesTextClassifier {
    /** Before learning: binarised counts and additive smoothing (0–1). */
    defineConfig(config: { considerOnlyPresence?: boolean; smoothingFactor?: number }): boolean;
    /** The pipeline from input text to tokens; the last task returns the tokens. */
    definePrepTasks(tasks: ((text: string) => string[])[]): number;
    learn(text: string, label: string): boolean;
    /** Throws unless there are two or more labels and ten or more distinct tokens. */
    consolidate(): boolean;
    /**
     * Per label the log2 odds of the label against all others, best first; `[['unknown', 0]]`
     * when the text has no token the model has seen.
     */
    computeOdds(text: string): [string, number][];
  }
  function naiveBayesTextClassifier(): NaiveBayesTextClassifier;
  export = naiveBayesTextClassifier;
}
