import Sentiment from 'sentiment';
import { detect } from 'tinyld';

/**
 * Texts with fewer letters than this get no language. tinyld's authors measure about 95 %
 * accuracy from ~24 characters, ~80 % at 12 and chance below 10 (docs/faq.md of tinyld); support
 * messages also carry order numbers, names and addresses that are no language at all, so only
 * letters count.
 */
export const MIN_LETTERS_FOR_LANGUAGE = 24;

export type LanguageResult =
  | { kind: 'detected'; language: string }
  | { kind: 'too_short'; letters: number }
  | { kind: 'undetermined' };

/** The ISO 639-1 language of the text, when it is long enough to tell reliably. */
export function detectLanguage(text: string): LanguageResult {
  const letters = text.match(/\p{L}/gu)?.length ?? 0;
  if (letters < MIN_LETTERS_FOR_LANGUAGE) return { kind: 'too_short', letters };
  const language = detect(text);
  return /^[a-z]{2}$/.test(language) ? { kind: 'detected', language } : { kind: 'undetermined' };
}

const afinn = new Sentiment();

export interface SentimentScore {
  /** AFINN-165: the sum of the scores (−5 … +5) of the words of the text; below 0 is negative. */
  score: number;
  /** The score per word of the text. */
  comparative: number;
}

/** The AFINN-165 word list is English: call this for English text only. */
export function scoreEnglishSentiment(text: string): SentimentScore {
  const { score, comparative } = afinn.analyze(text);
  return { score, comparative };
}
