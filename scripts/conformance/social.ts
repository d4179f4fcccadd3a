import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { normaliseMetaWebhook } from '../../services/social-gateway/src/normalisers/meta.normaliser';
import type { UpdateOutcome } from '../../services/social-gateway/src/normalisers/normalised-update.type';

/**
 * Conformance run of the social gateway's normalisers on the shared real-world WhatsApp webhook
 * corpus (../shared/fixtures/social, or FIXTURES_DIR). Every example must normalise, or be
 * classified as a known non-message update, without a crash. Not a project test: the corpus is
 * read in place, never copied. Exits non-zero only on crashes.
 */

const repositoryRoot = resolve(__dirname, '..', '..');
const fixturesRoot = process.env.FIXTURES_DIR
  ? resolve(process.env.FIXTURES_DIR)
  : resolve(repositoryRoot, '..', 'shared', 'fixtures', 'social');
const whatsappDir = join(fixturesRoot, 'whatsapp');

function main(): number {
  if (!existsSync(whatsappDir)) {
    process.stdout.write(`social conformance: no fixtures at ${whatsappDir}; skipped\n`);
    process.stdout.write(
      `${JSON.stringify({ conformance: 'social', skipped: true, reason: 'fixtures absent' })}\n`,
    );
    return 0;
  }
  const byOutcome: Record<UpdateOutcome | 'crash' | 'empty', number> = {
    message: 0,
    status: 0,
    'read-watermark': 0,
    echo: 0,
    ignored: 0,
    unknown: 0,
    crash: 0,
    empty: 0,
  };
  const crashes: string[] = [];
  const unknowns: string[] = [];
  let examples = 0;
  const receivedAt = new Date();

  for (const file of readdirSync(whatsappDir)
    .filter((name) => name.endsWith('.json'))
    .sort()) {
    let cases: Record<string, unknown>;
    try {
      cases = JSON.parse(readFileSync(join(whatsappDir, file), 'utf8')) as Record<string, unknown>;
    } catch (error) {
      crashes.push(`${file}: unreadable (${String(error)})`);
      byOutcome.crash += 1;
      continue;
    }
    for (const [name, payload] of Object.entries(cases)) {
      examples += 1;
      const label = `${file}#${name}`;
      try {
        const updates = normaliseMetaWebhook(payload, receivedAt);
        if (updates.length === 0) byOutcome.empty += 1;
        for (const update of updates) {
          byOutcome[update.outcome] += 1;
          if (update.outcome === 'unknown') unknowns.push(`${label}: ${update.reason}`);
          // A message must be a valid envelope once a tenant is known; check the essentials.
          if (
            update.outcome === 'message' &&
            (!update.message.externalMessageId || !update.message.threadKey)
          ) {
            throw new Error('message without external id or thread key');
          }
        }
        const summary = updates.map((update) => update.outcome).join(',');
        process.stdout.write(`  ${label.padEnd(60)} ${summary}\n`);
      } catch (error) {
        byOutcome.crash += 1;
        crashes.push(
          `${label}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
      }
    }
  }

  process.stdout.write(`\nsocial conformance (${whatsappDir}): ${examples} examples\n`);
  for (const [outcome, count] of Object.entries(byOutcome)) {
    process.stdout.write(`  ${outcome.padEnd(16)} ${count}\n`);
  }
  for (const line of unknowns) process.stdout.write(`  unknown: ${line}\n`);
  for (const line of crashes) process.stderr.write(`  CRASH: ${line}\n`);
  process.stdout.write(
    `${JSON.stringify({ conformance: 'social', examples, ...byOutcome, crashes: crashes.length })}\n`,
  );
  return crashes.length > 0 ? 1 : 0;
}

process.exitCode = main();
