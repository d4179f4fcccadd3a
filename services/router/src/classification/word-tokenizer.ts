/**
 * The one tokenizer of classification (keyword rules and the text classifier use it, so a keyword
 * matches exactly what the classifier learns from): NFC-normalised and lower-cased text split into
 * words, where a word is a maximal run of Unicode letters, combining marks and digits, with inner
 * apostrophes kept ("don't", "l'adresse"). Everything else (spaces, punctuation, symbols, emoji)
 * separates words, so "café", "straße", "заказ" and "1042" are words and "#1042!" is "1042".
 * Scripts written without spaces (Chinese, Japanese, Thai) come out as one word per run.
 */
const WORD = /[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}\p{N}]+)*/gu;

/** Changes whenever tokenisation changes, so models trained with the old one are not reused. */
export const TOKENIZER_VERSION = 'unicode-words-1';

export function tokenizeWords(text: string): string[] {
  const words = text.normalize('NFC').toLowerCase().match(WORD) ?? [];
  return words.map((word) => word.replace(/’/g, "'"));
}

/** Whether `phrase` occurs in `words` as whole consecutive words. */
export function containsPhrase(words: readonly string[], phrase: readonly string[]): boolean {
  if (phrase.length === 0 || phrase.length > words.length) return false;
  for (let start = 0; start + phrase.length <= words.length; start += 1) {
    if (phrase.every((word, offset) => words[start + offset] === word)) return true;
  }
  return false;
}
