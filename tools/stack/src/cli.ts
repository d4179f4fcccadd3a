import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StackError, errorMessage } from './errors';
import { stackPaths } from './paths';
import { COMPONENT_NAMES, type ComponentStatus, stackDown, stackStatus, stackUp } from './stack';

const USAGE = `usage: npm run stack -- <command>
  up                          start Kafka, FerretDB and Redis (reuses running ones; waits until they answer)
  down                        stop exactly the processes the stack started
  status                      component, pid, address, up/down
  logs [component] [-f] [-n N]  print the last N (200) lines of the logs, or follow them
                              components: kafka, ferretdb, redis (build logs: kafka-maven, ferretdb-build, redis-install)
Set KAFKA_BROKERS, MONGODB_URI or REDIS_URL to use an existing server instead of starting one.`;

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function up(): Promise<number> {
  const startedAt = Date.now();
  const endpoints = await stackUp({ log: print });
  print(`stack up in ${((Date.now() - startedAt) / 1000).toFixed(1)} s:`);
  print(`  KAFKA_BROKERS=${endpoints.kafkaBrokers}`);
  print(`  MONGODB_URI=${endpoints.mongodbUri}`);
  print(`  REDIS_URL=${endpoints.redisUrl}`);
  return 0;
}

async function down(): Promise<number> {
  await stackDown({ log: print });
  print('stack down');
  return 0;
}

function formatTable(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? '').length)),
  );
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths?.[column] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

async function status(): Promise<number> {
  const rows = await stackStatus();
  const describe = (row: ComponentStatus): string =>
    row.source === 'environment' ? 'environment' : 'stack';
  const table = formatTable([
    ['COMPONENT', 'STATE', 'PID', 'ADDRESS', 'STARTED BY', 'NOTE'],
    ...rows.map((row) => [
      row.component,
      row.up ? 'up' : 'down',
      row.pid === null ? '-' : String(row.pid),
      row.address,
      describe(row),
      row.detail ?? '',
    ]),
  ]);
  table.forEach(print);
  return 0;
}

async function logs(args: string[]): Promise<number> {
  const follow = args.includes('-f') || args.includes('--follow');
  const linesFlag = args.indexOf('-n');
  const lines = linesFlag >= 0 ? Number(args[linesFlag + 1]) : 200;
  if (!Number.isInteger(lines) || lines < 0) throw new StackError('-n needs a number of lines');
  const names = args.filter(
    (arg, index) => !arg.startsWith('-') && !(linesFlag >= 0 && index === linesFlag + 1),
  );
  const logsDir = stackPaths().logs;
  const available = fs.existsSync(logsDir)
    ? fs
        .readdirSync(logsDir)
        .filter((file) => file.endsWith('.log'))
        .map((file) => file.slice(0, -'.log'.length))
    : [];
  const wanted =
    names.length > 0 ? names : COMPONENT_NAMES.filter((name) => available.includes(name));
  for (const name of wanted) {
    if (!available.includes(name)) {
      throw new StackError(
        `no log for "${name}" in ${logsDir} (available: ${available.join(', ') || 'none yet; run up first'})`,
      );
    }
  }
  if (wanted.length === 0) throw new StackError(`no logs in ${logsDir} yet; run up first`);

  // tail(1) already does headers for several files and follows across rotation.
  const files = wanted.map((name) => path.join(logsDir, `${name}.log`));
  const tailArgs = ['-n', String(lines), ...(follow ? ['-F'] : []), ...files];
  return new Promise((resolve, reject) => {
    const tail = spawn('tail', tailArgs, { stdio: 'inherit' });
    tail.once('error', (error) => reject(new StackError(`could not run tail: ${error.message}`)));
    tail.once('exit', (code) => resolve(code ?? 0));
  });
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'up':
      return up();
    case 'down':
      return down();
    case 'status':
      return status();
    case 'logs':
      return logs(rest);
    case undefined:
    case 'help':
    case '-h':
    case '--help':
      print(USAGE);
      return command === undefined ? 1 : 0;
    default:
      process.stderr.write(`stack: unknown command "${command}"\n${USAGE}\n`);
      return 1;
  }
}

// `stack logs | head` closes the pipe early; that is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const command = process.argv[2] ?? '';
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`stack ${command} failed: ${errorMessage(error)}\n`);
    if (error instanceof StackError && error.details) {
      process.stderr.write(`${error.details}\n`);
    } else if (
      !(error instanceof StackError) &&
      error instanceof Error &&
      process.env['STACK_DEBUG']
    ) {
      process.stderr.write(`${error.stack ?? ''}\n`);
    }
    process.exitCode = 1;
  },
);
