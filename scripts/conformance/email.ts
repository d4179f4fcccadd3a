/**
 * Email conformance run on the shared real-world corpora (../shared/fixtures, or FIXTURES_DIR):
 * - every fixture mail (zammad, chatwoot, postal-mime) goes through the gateway's parser; a crash
 *   (anything but a clear MailParseError) fails the run;
 * - zammad .yml expectations: from_email, from_display_name, subject and body;
 * - email_reply_trimmer: our reply-only text against its trimmed/ expectations.
 * Bodies are compared as text with whitespace collapsed: Zammad's HTML sanitiser output is its own,
 * so expected HTML is reduced to text by the same converter we use for HTML-only mail.
 * Prints a table and, as its last line, one JSON object with the counts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  MailParseError,
  parseMail,
} from '../../services/email-gateway/src/inbound/parsing/parse-mail';
import { trimReply } from '../../services/email-gateway/src/inbound/parsing/reply-trimmer';
import { htmlToText } from '../../services/email-gateway/src/inbound/parsing/sanitize-html.util';

const fixtures = resolve(process.env.FIXTURES_DIR ?? join(__dirname, '../../../shared/fixtures'));

const collapse = (text: string): string =>
  text
    .replace(/\u00a0/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

interface ZammadExpectation {
  from_email?: string;
  from_display_name?: string;
  subject?: string;
  body?: string;
  content_type?: string;
}

function readExpectation(path: string): ZammadExpectation {
  // Ruby type tags (!ruby/hash:…, !binary) are plain maps and strings for our purposes.
  const text = readFileSync(path, 'utf8')
    .replace(/!ruby\/[^\s]+/g, '')
    .replace(/!binary /g, '');
  return (parseYaml(text) ?? {}) as ZammadExpectation;
}

/** Loose body comparison: equal as collapsed text, or one contains the other when both are long. */
function bodyMatches(
  expected: string,
  contentType: string | undefined,
  actualText: string,
): boolean {
  const want = collapse(contentType === 'text/html' ? htmlToText(expected) : expected);
  const got = collapse(actualText);
  if (want === got) return true;
  if (want.length < 20 || got.length < 20) return false;
  return got.includes(want) || want.includes(got)
    ? Math.min(want.length, got.length) / Math.max(want.length, got.length) > 0.9
    : false;
}

async function main(): Promise<void> {
  if (!existsSync(fixtures)) {
    console.log(`email conformance: ${fixtures} not found; nothing to check`);
    console.log(JSON.stringify({ conformance: 'email', skipped: true }));
    return;
  }
  const mailDirs = ['email/zammad', 'email/chatwoot', 'email/postal-mime'].map((d) =>
    join(fixtures, d),
  );
  let parsed = 0;
  let rejected = 0;
  const crashes: string[] = [];
  const zammad = {
    mails: 0,
    fields: {
      from_email: [0, 0],
      from_display_name: [0, 0],
      subject: [0, 0],
      body: [0, 0],
    } as Record<string, [number, number]>,
    allPass: 0,
  };
  const failureReasons = new Map<string, string[]>();
  const fail = (reason: string, file: string): void => {
    failureReasons.set(reason, [...(failureReasons.get(reason) ?? []), file]);
  };

  for (const dir of mailDirs.filter(existsSync)) {
    for (const file of readdirSync(dir)
      .filter((f) => /\.(eml|box)$/.test(f))
      .sort()) {
      const raw = readFileSync(join(dir, file));
      try {
        const mail = await parseMail(raw);
        parsed += 1;
        const expectationPath = join(dir, file.replace(/\.box$/, '.yml'));
        if (!file.endsWith('.box') || !existsSync(expectationPath)) continue;
        let expected: ZammadExpectation;
        try {
          expected = readExpectation(expectationPath);
        } catch {
          // A corpus file our YAML reader cannot read says nothing about the mail parser.
          fail('expectation .yml unreadable', file);
          continue;
        }
        zammad.mails += 1;
        let all = true;
        const check = (field: string, ok: boolean, reason: string): void => {
          const counts = zammad.fields[field] ?? [0, 0];
          counts[1] += 1;
          if (ok) counts[0] += 1;
          else {
            all = false;
            fail(reason, file);
          }
          zammad.fields[field] = counts;
        };
        if (expected.from_email !== undefined)
          check(
            'from_email',
            (mail.from?.address ?? '') === String(expected.from_email).toLowerCase(),
            'from_email differs',
          );
        if (expected.from_display_name !== undefined)
          check(
            'from_display_name',
            collapse(mail.from?.name ?? '') === collapse(String(expected.from_display_name)),
            'display name differs',
          );
        if (expected.subject !== undefined)
          check(
            'subject',
            collapse(mail.subject ?? '') === collapse(String(expected.subject)),
            'subject differs',
          );
        if (expected.body !== undefined)
          check(
            'body',
            bodyMatches(
              String(expected.body),
              expected.content_type,
              expected.content_type === 'text/html' && mail.html
                ? htmlToText(mail.html)
                : mail.text,
            ),
            'body text differs',
          );
        if (all) zammad.allPass += 1;
      } catch (error) {
        if (error instanceof MailParseError) {
          rejected += 1;
          fail(`rejected: ${error.reason}`, file);
        } else crashes.push(`${file}: ${error instanceof Error ? error.stack : String(error)}`);
      }
    }
  }

  const trimmerDir = join(fixtures, 'email-reply/email_reply_trimmer');
  let trimPass = 0;
  let trimTotal = 0;
  if (existsSync(trimmerDir)) {
    for (const file of readdirSync(join(trimmerDir, 'emails')).sort()) {
      const expectedPath = join(trimmerDir, 'trimmed', file);
      if (!existsSync(expectedPath)) continue;
      trimTotal += 1;
      const got = trimReply(readFileSync(join(trimmerDir, 'emails', file), 'utf8')).reply;
      if (got.trim() === readFileSync(expectedPath, 'utf8').replace(/\r\n/g, '\n').trim())
        trimPass += 1;
    }
  }

  console.log('email conformance');
  console.log(
    `  mails parsed without crash   ${parsed + rejected} of ${parsed + rejected + crashes.length} (${rejected} rejected with a clear reason)`,
  );
  console.log(`  zammad mails all fields pass ${zammad.allPass} of ${zammad.mails}`);
  for (const [field, [pass, total]] of Object.entries(zammad.fields)) {
    console.log(`    ${field.padEnd(20)} ${pass} of ${total}`);
  }
  console.log(`  reply trimmer corpus         ${trimPass} of ${trimTotal}`);
  if (failureReasons.size > 0) {
    console.log('  failure reasons');
    for (const [reason, files] of failureReasons)
      console.log(`    ${reason.padEnd(28)} ${files.length}  ${files.join(' ')}`);
  }
  for (const crash of crashes) console.error(`CRASH ${crash}`);
  console.log(
    JSON.stringify({
      conformance: 'email',
      mails: parsed + rejected + crashes.length,
      parsed,
      rejected,
      crashes: crashes.length,
      zammad_mails: zammad.mails,
      zammad_all_fields_pass: zammad.allPass,
      ...Object.fromEntries(
        Object.entries(zammad.fields).map(([f, [p, t]]) => [`zammad_${f}`, `${p}/${t}`]),
      ),
      reply_trimmer_pass: trimPass,
      reply_trimmer_total: trimTotal,
    }),
  );
  if (crashes.length > 0) process.exitCode = 1;
}

void main();
