/**
 * Splits a plain-text reply into the new text and the quoted/trailing part it carries.
 *
 * Each line is classified into one letter (the idea of Discourse's email_reply_trimmer, which
 * scored best on its own corpus; email-reply-parser passed 31 of its 64 cases, these rules pass
 * more — see scripts/conformance/email.ts). The rules below then work on the line pattern:
 *   e empty · d delimiter · s mobile signature · b "On … wrote:" / forward marker
 *   h quoted header ("From: …") · q "> quoted" · t text
 */
export interface TrimmedReply {
  /** The new text the sender wrote, without quotes, quoted headers or mobile signatures. */
  reply: string;
  /** What was cut away (quotes, signatures, forwarded history), for agents who want context. */
  quoted: string;
}

type LineKind = 'e' | 'd' | 's' | 'b' | 'h' | 'q' | 't';

const BLANK = '[ \\t\\u00a0]';
const QUOTE_PREFIX = '^[ \\t\\u00a0>\\-]*';

/** Lines made only of separator characters: "--", "____", "=====". */
const DELIMITER = /^[ \t\u00a0]*[-_,=+~#*\u1427]+[ \t\u00a0]*$/u;

const MOBILE_SIGNATURES: RegExp[] = [
  /^[ \t>]*從我的 iPhone 傳送/iu,
  /^[ \t>]*\S+ from mobile/iu,
  /^[ \t>]*[(<]*sent (?:from|via|with|by) .+/iu,
  /^[ \t>]*from my .{1,20}$/iu,
  /^[ \t>]*Envoyé depuis mon .+/iu,
  /^[ \t>]*Von meinem .+ gesendet/iu,
  /^[ \t>]*Diese Nachricht wurde von .+ gesendet/iu,
  /^[ \t>]*Enviado desde mi .+/iu,
  /^[ \t>]*Verzonden met .+/iu,
  /^[ \t>]*(?:Sendt fra min|Skickat från min|Lähetetty) .+/iu,
  /^[ \t>]*Get (?:\[)?Outlook for (?:iOS|Android)/iu,
];

/** "On <date>, <someone> wrote:" in several languages: [opening word, closing words]. */
const ON_DATE_WROTE: [string, string][] = [
  ['On', 'wrote'],
  ['Le', 'a écrit'],
  ['Il', 'ha scritto'],
  ['Em', 'escreveu'],
  ['El', 'escribió'],
  ['Am', 'schrieb'],
  ['Op', 'het volgende geschreven'],
  ['Dnia', 'napisał\\(a\\)'],
  ['W dniu', 'pisze'],
  ['Den', 'skrev'],
];

const ON_DATE_WROTE_MULTILINE = ON_DATE_WROTE.map(
  ([on, wrote]) =>
    new RegExp(
      `^[ \\t>\\-]*${on}\\s(?:(?!${on}\\s|${wrote.replace(/ /g, '\\s+')}:?)[\\s\\S]){0,300}${wrote.replace(/ /g, '\\s+')}\\s*:?[ \\t\\-]*$`,
      'gmu',
    ),
);

/** Reply verbs of "<date> <someone> <verb>:" quote headers whose word order ON_DATE_WROTE misses. */
const WROTE_VERBS =
  'wrote|schrieb|skrev|schreef|napisał\\(a\\)|napisał|написал|написала|пише|написав|a écrit|escribió|escreveu|ha scritto';

/**
 * Quote headers that clients wrap over two lines, joined so each is classified as one line:
 * - a break inside the angle brackets ("… "Name" <⏎addr> написал:", "… <addr⏎>:"), joined
 *   without a space because none belongs there;
 * - "… <addr> schrieb am Fr., 28.⏎Apr. 2017 um 11:53 Uhr:", joined with a space.
 * Each needs an address on the first line, so the sender's own text line above a "wrote:" line
 * is never glued into the header.
 */
const WRAPPED_QUOTE_HEADERS: { pattern: RegExp; separator: string }[] = [
  { pattern: /^([^\n]*<[^<>\n]*)\n[ \t>]*([^<>\n]*>[^\n]*:[ \t]*)$/gmu, separator: '' },
  {
    pattern: new RegExp(
      `^([^\\n]*<[^<>\\s]+@[^<>\\s]+>\\s(?:${WROTE_VERBS})\\s[^\\n]*)\\n([^\\n]{0,80}:[ \\t]*)$`,
      'gmu',
    ),
    separator: ' ',
  },
];

const EMBEDDED_MARKERS: RegExp[] = [
  new RegExp(`^[ \\t>]*[^\\n]*[\\d@][^\\n]*\\s(?:${WROTE_VERBS})\\s*:[ \\t]*$`, 'u'),
  new RegExp(
    `^[ \\t>]*(?:Am|On|Le|El|Em|Il|Op|Den)\\s.{0,100}\\d.{0,100}\\s(?:${WROTE_VERBS})\\s.{0,200}(?:<[^<>\\s]*@|:[ \\t]*$)`,
    'u',
  ),
  ...ON_DATE_WROTE.map(
    ([on, wrote]) => new RegExp(`${QUOTE_PREFIX}${on}\\s.{0,300}${wrote}\\s*:?${BLANK}*-*$`, 'iu'),
  ),
  /^[ \t>]*(?:Op|Am)\s.+\s(?:schreef|schrieb)\s[^:]+:/u,
  /.+пользователь.+написал:/u,
  /^[ \t>]*20\d\d-\d\d-\d\d \d\d?:\d\d GMT[+-]\d\d:\d\d [\p{L}\p{N} \t]+$/u,
  /^[ \t>]*.*\d{4}.+<[^@<>\s]+@[^@<>.\s]+\.[^@<>\s]+>:?$/u,
  /^[ \t>]*.+ via .+ (?:wrote|schrieb):?[ \t]*$/u,
  /^[ \t>]*.+ <.+@.+\..+> (?:wrote|schrieb):?/u,
  /^[ \t>]*.{0,120}\bwrote:[ \t]*$/iu,
  /^[ \t>]*.+<[^<>\s]+@[^<>\s]+> schrieb am /u,
  /^[ \t>]*Posted by .+ on \d{2}\/\d{2}\/\d{4}$/iu,
  /^[ \t>]*Begin forwarded message:/iu,
  /^[ \t>]*Reply message/iu,
  /^[ \t>*]*-{2,}[ \t]*(?:Forwarded|Original) Message[ \t]*-{2,}/iu,
  /^[ \t>*]*-{2,}[ \t]*Message transféré[ \t]*-{2,}/iu,
  /^[ \t>*]*-{2,}[ \t]*Ursprüngliche Nachricht[ \t]*-{2,}/iu,
  /^[ \t>*]*-{2,}[ \t]*Mensaje original[ \t]*-{2,}/iu,
  /^[ \t>*]*-{2,}[ \t]*Oorspronkelijk bericht[ \t]*-{2,}/iu,
  /^[ \t>]*在.+写道：$/u,
];

const HEADER_WITH_DATE =
  /^[ \t>*]*(?:Sendt|Sent|Date|Gesendet|Enviada em|Enviado|Fecha|Data|Datum)[ \t*]*:.*\d+/u;
const HEADER_WITH_TEXT =
  /^[ \t>*]*(?:Fra|Til|Emne|From|To|Cc|Reply-To|Subject|De|À|Répondre à|Objet|Von|An|Betreff|Para|Assunto|Asunto|Da|Risposta|A|Oggetto|Van|Aan|Onderwerp|Från|Till|Ämne|Od|Do|Temat|От|Кому|Тема|Від|Тема)[ \t*]*:.*[\p{L}\p{N}_]+/u;

const QUOTE = /^[ \t]*>/u;

function classify(line: string): LineKind {
  if (line.trim() === '') return 'e';
  if (DELIMITER.test(line)) return 'd';
  if (MOBILE_SIGNATURES.some((pattern) => pattern.test(line))) return 's';
  if (EMBEDDED_MARKERS.some((pattern) => pattern.test(line))) return 'b';
  if (HEADER_WITH_DATE.test(line) || HEADER_WITH_TEXT.test(line)) return 'h';
  if (QUOTE.test(line)) return 'q';
  return 't';
}

/** Keeps lines whose index matches a predicate on the pattern string, in lock-step. */
class LinePattern {
  constructor(
    public lines: string[],
    public pattern: string,
  ) {}

  keepBefore(index: number): void {
    this.lines = this.lines.slice(0, index);
    this.pattern = this.pattern.slice(0, index);
  }

  keepFrom(index: number): void {
    this.lines = this.lines.slice(index);
    this.pattern = this.pattern.slice(index);
  }

  removeAll(kind: LineKind): void {
    const kept = [...this.pattern].map((letter, index) => ({ letter, index }));
    const remaining = kept.filter(({ letter }) => letter !== kind);
    this.lines = remaining.map(({ index }) => this.lines[index] ?? '');
    this.pattern = remaining.map(({ letter }) => letter).join('');
  }
}

/** Large inputs are trimmed on their head only: quoting rules never need megabytes of history. */
const MAX_TRIM_INPUT_CHARS = 200_000;

export function trimReply(text: string): TrimmedReply {
  const normalised = text.replace(/\r\n?/g, '\n');
  if (normalised.trim() === '') return { reply: '', quoted: '' };
  const head = normalised.slice(0, MAX_TRIM_INPUT_CHARS);
  // "On … wrote:" is often wrapped over two or three lines by the sender's client.
  let joined = head;
  for (const pattern of ON_DATE_WROTE_MULTILINE) {
    joined = joined.replace(pattern, (match) => match.replace(/\n[\s>-]*/g, ' '));
  }
  for (const { pattern, separator } of WRAPPED_QUOTE_HEADERS) {
    joined = joined.replace(
      pattern,
      (_match, first: string, second: string) => `${first}${separator}${second}`,
    );
  }
  const original = joined.split('\n');
  // Inside a fenced code block every line is text, however much it looks like a delimiter.
  let inCode = false;
  const kinds = original.map((line): LineKind => {
    if (/^[ \t]*```/.test(line)) {
      inCode = !inCode;
      return 't';
    }
    return inCode ? 't' : classify(line);
  });
  const work = new LinePattern([...original], kinds.join(''));

  const firstDelimiter = work.pattern.indexOf('d');
  if (firstDelimiter >= 0) work.keepBefore(firstDelimiter);
  work.removeAll('s');

  // Reply written below the quote (bottom-posting): keep only what follows the quote.
  if (/^b+e*q+[eq]*t[te]*$/.test(work.pattern)) work.keepFrom(work.pattern.indexOf('t'));

  for (const rule of [/te*b[^q]*$/, /te*b[eqbh]*[te]*$/]) {
    const match = rule.exec(work.pattern);
    if (match) work.keepBefore(match.index + 1);
  }
  work.removeAll('b');

  // A quoted header block may wrap: treat "h…h" runs followed by an empty line as one block.
  const wrappedHeaders = /h+[hte]+h+e/.exec(work.pattern);
  if (wrappedHeaders) {
    const { index } = wrappedHeaders;
    const length = wrappedHeaders[0].length;
    work.pattern =
      work.pattern.slice(0, index) + 'h'.repeat(length) + work.pattern.slice(index + length);
  }
  const headerBlock = /t[eq]*h{3,}/.exec(work.pattern);
  if (headerBlock) work.keepBefore(headerBlock.index + 1);
  work.removeAll('h');

  const trailingQuote = /[eq]+$/.exec(work.pattern);
  if (work.pattern.includes('t') && trailingQuote) work.keepBefore(trailingQuote.index);

  const reply = work.lines.join('\n').trim();
  return { reply, quoted: elidedLines(original, work.lines) };
}

/** The lines of `original` that did not make it into `kept`, in order. */
function elidedLines(original: string[], kept: string[]): string {
  const elided: string[] = [];
  let keptIndex = 0;
  for (const line of original) {
    if (keptIndex < kept.length && kept[keptIndex] === line) keptIndex += 1;
    else elided.push(line);
  }
  return elided.join('\n').trim();
}
