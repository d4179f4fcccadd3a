import PostalMime from 'postal-mime';

/**
 * Header decoding that postal-mime gets wrong on real-world mail:
 * - raw 8-bit bytes in a header (no RFC 2047 encoding) that are not UTF-8, e.g. Shift_JIS;
 * - encoded words whose label lies (`=?ISO-2022-JP?B?…?=` carrying Shift_JIS bytes);
 * - encoded words containing address specials (`=?…?Q?Doe,=20Jane?= <j@x>`), which postal-mime
 *   decodes before splitting the list and so cuts one sender into two half-mailboxes.
 * Charsets are never guessed blindly: we try the label, its 8-bit relatives, then the charsets the
 * message itself declares elsewhere, and only then Windows-1252, which maps every byte.
 */

export interface HeaderAddress {
  address: string;
  name?: string;
}

const ENCODED_WORD = /=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=/g;
const EIGHT_BIT = /[\x80-\xff]/;

/**
 * 7-bit or legacy labels whose mail, when it carries 8-bit bytes anyway, is in fact in one of these
 * (Japanese mailers label Shift_JIS as ISO-2022-JP; GB2312 mail is routinely GBK).
 */
const EIGHT_BIT_RELATIVES: Record<string, string[]> = {
  'iso-2022-jp': ['shift_jis', 'euc-jp'],
  'iso-2022-kr': ['euc-kr'],
  'ks_c_5601-1987': ['euc-kr'],
  gb2312: ['gb18030'],
  gbk: ['gb18030'],
};

function candidateDecoders(labels: readonly string[]): string[] {
  const expanded = labels.flatMap((label) => {
    const lower = label.toLowerCase();
    return [lower, ...(EIGHT_BIT_RELATIVES[lower] ?? [])];
  });
  return [...new Set(expanded)];
}

/** Decodes bytes with the first candidate charset that accepts them without errors. */
export function decodeBytes(bytes: Uint8Array, labels: readonly string[]): string {
  for (const label of candidateDecoders(labels)) {
    try {
      return new TextDecoder(label, { fatal: true }).decode(bytes);
    } catch {
      // Unknown label or bytes invalid in it: try the next candidate.
    }
  }
  return new TextDecoder('windows-1252').decode(bytes);
}

/** The charsets a message declares anywhere (MIME parameters and encoded words), most used first. */
export function declaredCharsets(rawLatin1: string): string[] {
  const counts = new Map<string, number>();
  const patterns = [
    /charset\s*=\s*"?([A-Za-z0-9._:-]+)/gi,
    /=\?([A-Za-z0-9._:-]+)(?:\*[^?]*)?\?[bq]\?/gi,
  ];
  for (const pattern of patterns) {
    for (const match of rawLatin1.matchAll(pattern)) {
      const label = (match[1] ?? '').toLowerCase();
      if (label === 'us-ascii' || label === 'utf-8') continue;
      counts.set(label, (counts.get(label) ?? 0) + 1);
    }
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([label]) => label);
}

/**
 * The unfolded value of the first `name` header in a header block read as Latin-1 (one char per
 * byte), or undefined.
 */
export function rawHeaderValue(headerBlockLatin1: string, name: string): string | undefined {
  const lines = headerBlockLatin1.split(/\r?\n/);
  const prefix = `${name.toLowerCase()}:`;
  const start = lines.findIndex((line) => line.toLowerCase().startsWith(prefix));
  if (start < 0) return undefined;
  const parts = [(lines[start] ?? '').slice(prefix.length)];
  for (const line of lines.slice(start + 1)) {
    if (!/^[ \t]/.test(line)) break;
    parts.push(line);
  }
  return parts.join('').trim();
}

/** Turns a Latin-1 read header value into text: UTF-8 if its 8-bit bytes are UTF-8, else by hints. */
export function rawHeaderToText(valueLatin1: string, hints: () => string[]): string {
  if (!EIGHT_BIT.test(valueLatin1)) return valueLatin1;
  return decodeBytes(Buffer.from(valueLatin1, 'latin1'), ['utf-8', ...hints()]);
}

function encodedWordBytes(encoding: string, payload: string): Buffer {
  if (encoding.toLowerCase() === 'b') return Buffer.from(payload, 'base64');
  const bytes: number[] = [];
  for (let index = 0; index < payload.length; index += 1) {
    const char = payload[index] ?? '';
    const hex = payload.slice(index + 1, index + 3);
    if (char === '=' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      index += 2;
    } else bytes.push(char === '_' ? 0x20 : char.charCodeAt(0) & 0xff);
  }
  return Buffer.from(bytes);
}

/**
 * Decodes RFC 2047 encoded words in `value`. Adjacent words of one charset are joined as bytes
 * first, because senders split multi-byte characters across them; the whitespace between encoded
 * words is dropped (RFC 2047 §6.2).
 */
export function decodeEncodedWords(value: string, hints: () => string[]): string {
  let result = '';
  let pending: { charset: string; bytes: Buffer[] } | undefined;
  const flush = (): void => {
    if (!pending) return;
    result += decodeBytes(Buffer.concat(pending.bytes), [pending.charset, 'utf-8', ...hints()]);
    pending = undefined;
  };
  let last = 0;
  for (const match of value.matchAll(ENCODED_WORD)) {
    const [word, charset = '', encoding = '', payload = ''] = match;
    const between = value.slice(last, match.index);
    if (between.trim() !== '' || !pending || pending.charset !== charset.toLowerCase()) {
      flush();
      if (between.trim() !== '' || result === '') result += between;
    }
    pending ??= { charset: charset.toLowerCase(), bytes: [] };
    pending.bytes.push(encodedWordBytes(encoding, payload));
    last = match.index + word.length;
  }
  flush();
  return result + value.slice(last);
}

/**
 * Mailboxes of an address header given as read from the raw header block. Encoded words are
 * replaced by inert placeholders while the list is split, so a comma or `<` inside one cannot
 * split or forge a mailbox; they are decoded in display names only and kept literally in
 * addresses (RFC 2047 §5 forbids them in an addr-spec, and decoding them there lets
 * `=?…?=@victim.example` pose as another address).
 */
export function parseAddressHeader(valueLatin1: string, hints: () => string[]): HeaderAddress[] {
  const value = rawHeaderToText(valueLatin1, hints);
  const words: string[] = [];
  const marker = (index: number): string => `encodedwordplaceholder${index}x`;
  if (value.includes(marker(0).slice(0, -2))) return [];
  const protectedValue = value.replace(ENCODED_WORD, (word) => {
    words.push(word);
    return marker(words.length - 1);
  });
  const restore = (text: string): string =>
    text.replace(/encodedwordplaceholder(\d+)x/g, (_, index: string) => words[Number(index)] ?? '');
  return PostalMime.addressParser(protectedValue, { flatten: true }).flatMap((mailbox) => {
    if (mailbox.group !== undefined || !mailbox.address) return [];
    const address = restore(mailbox.address)
      .replace(/^[<\s]+|[>\s]+$/g, '')
      .toLowerCase();
    if (!address.includes('@')) return [];
    const name = decodeEncodedWords(restore(mailbox.name), hints).trim();
    return [{ address, ...(name && name.toLowerCase() !== address ? { name } : {}) }];
  });
}
