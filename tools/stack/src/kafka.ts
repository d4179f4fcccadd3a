import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { StackError } from './errors';
import { describeExit, findExecutable, runToLog, tailFile } from './exec';
import { STACK_PACKAGE_DIR, ensureDir, logFile, stackPaths } from './paths';
import { LOOPBACK } from './ports';
import { probeKafka, warmUpKafka } from './probes';
import { type SpawnedProcess, spawnToLog } from './processes';
import { type DisposableServer, type Log, silentLog, startDisposable } from './server';

const ASSETS_DIR = path.join(STACK_PACKAGE_DIR, 'kafka');
const POM_FILE = path.join(ASSETS_DIR, 'pom.xml');
const LOG4J_FILE = path.join(ASSETS_DIR, 'log4j.properties');

export const KAFKA_PORT = 19092;
export const KAFKA_CONTROLLER_PORT = 19093;
export const KAFKA_READY_TIMEOUT_MS = 120_000;
/** A controlled shutdown of a single-node KRaft broker takes a few seconds. */
export const KAFKA_STOP_GRACE_MS = 30_000;

/** The pom is the single place the Kafka version is written down. */
export function kafkaVersion(): string {
  const match = /<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/.exec(
    fs.readFileSync(POM_FILE, 'utf8'),
  );
  if (!match?.[1]) throw new StackError(`no <kafka.version> property in ${POM_FILE}`);
  return match[1];
}

export function findJava(): string {
  const javaHome = process.env['JAVA_HOME'];
  const fromHome = javaHome ? path.join(javaHome, 'bin', 'java') : null;
  const java = fromHome && fs.existsSync(fromHome) ? fromHome : findExecutable('java');
  if (!java) {
    throw new StackError(
      'java not found on PATH (Kafka needs Java 17): install it (apt-get install openjdk-17-jre-headless) or set KAFKA_BROKERS to an existing Kafka',
    );
  }
  return java;
}

/**
 * The directory of Kafka jars, resolved from Maven Central once and then
 * reused: a marker holding the pom's hash says the copy is complete and current.
 */
export async function ensureKafkaJars(log: Log = silentLog): Promise<string> {
  const version = kafkaVersion();
  const cacheDir = ensureDir(path.join(stackPaths().cache, `kafka-${version}`));
  const libsDir = path.join(cacheDir, 'libs');
  const marker = path.join(cacheDir, 'complete.sha256');
  const pomHash = createHash('sha256').update(fs.readFileSync(POM_FILE)).digest('hex');
  const mainJar = path.join(libsDir, `kafka_2.13-${version}.jar`);
  if (readText(marker) === pomHash && fs.existsSync(mainJar)) return libsDir;

  findJava();
  const mvn = findExecutable('mvn');
  if (!mvn) {
    throw new StackError(
      'mvn (Apache Maven) not found on PATH: it downloads the Kafka jars once; install it (apt-get install maven) or set KAFKA_BROKERS to an existing Kafka',
    );
  }
  const buildLog = logFile('kafka-maven');
  log(`kafka: resolving Apache Kafka ${version} jars from Maven Central (first run only)…`);
  // A private staging directory: a concurrent launcher never sees half a copy.
  const staging = path.join(cacheDir, `libs.partial-${process.pid}`);
  fs.rmSync(staging, { recursive: true, force: true });
  const result = await runToLog(
    mvn,
    [
      '-q',
      '-B',
      '-f',
      POM_FILE,
      '-Dstyle.color=never',
      'dependency:copy-dependencies',
      `-DoutputDirectory=${staging}`,
    ],
    { cwd: ASSETS_DIR, logFile: buildLog },
  );
  if (result.exitCode !== 0 || !fs.existsSync(path.join(staging, `kafka_2.13-${version}.jar`))) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw new StackError(
      `mvn could not fetch the Kafka ${version} jars (${describeExit(result)}); log: ${buildLog}`,
      tailFile(buildLog),
    );
  }
  fs.rmSync(libsDir, { recursive: true, force: true });
  fs.renameSync(staging, libsDir);
  fs.writeFileSync(marker, pomHash);
  return libsDir;
}

export interface KafkaLaunch {
  port: number;
  controllerPort: number;
  /** Holds server.properties and the data/ directory (the KRaft log dirs). */
  dir: string;
  logFile: string;
  detached: boolean;
  log?: Log;
}

export function kafkaAddress(port: number): string {
  return `${LOOPBACK}:${port}`;
}

function serverProperties(port: number, controllerPort: number, dataDir: string): string {
  return `# Written by the Switchboard stack launcher on every start; edits are overwritten.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@${LOOPBACK}:${controllerPort}
listeners=PLAINTEXT://${LOOPBACK}:${port},CONTROLLER://${LOOPBACK}:${controllerPort}
advertised.listeners=PLAINTEXT://${LOOPBACK}:${port}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=${dataDir}

# One node: every internal topic has a single replica.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=5
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=5
default.replication.factor=1
min.insync.replicas=1

# The project creates its topics explicitly (auto-creation races with the first produce).
auto.create.topics.enable=false
delete.topic.enable=true
num.partitions=3

# Tests join consumer groups constantly: no rebalance delay, short sessions allowed.
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000

# Two cores shared with FerretDB, Redis, the services and Jest.
num.network.threads=2
num.io.threads=2
background.threads=2
num.recovery.threads.per.data.dir=1
num.replica.fetchers=1
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=16777216

# Laptop-sized storage: small segments, bounded retention.
log.segment.bytes=16777216
log.retention.hours=24
log.retention.bytes=268435456
log.retention.check.interval.ms=60000
metadata.log.segment.bytes=8388608
metadata.max.retention.bytes=67108864
`;
}

/** Kafka rejects cluster ids that start with '-' (they look like options). */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function jvmOptions(heap: { initial: string; max: string }): string[] {
  return [
    `-Xms${heap.initial}`,
    `-Xmx${heap.max}`,
    // Serial GC: no parallel GC threads competing for the two cores; the heap is small anyway.
    '-XX:+UseSerialGC',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=${pathToFileURL(LOG4J_FILE).href}`,
  ];
}

/** Writes server.properties, formats the storage once, and starts kafka.Kafka. */
export async function launchKafka(launch: KafkaLaunch): Promise<SpawnedProcess> {
  const log = launch.log ?? silentLog;
  const java = findJava();
  const libsDir = await ensureKafkaJars(log);
  const classPath = path.join(libsDir, '*');
  const dir = ensureDir(launch.dir);
  const dataDir = ensureDir(path.join(dir, 'data'));
  const configFile = path.join(dir, 'server.properties');
  fs.writeFileSync(configFile, serverProperties(launch.port, launch.controllerPort, dataDir));

  if (!fs.existsSync(path.join(dataDir, 'meta.properties'))) {
    const result = await runToLog(
      java,
      [
        ...jvmOptions({ initial: '64m', max: '256m' }),
        '-cp',
        classPath,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        newClusterId(),
        '-c',
        configFile,
      ],
      { cwd: dir, logFile: launch.logFile },
    );
    if (result.exitCode !== 0) {
      throw new StackError(
        `formatting the Kafka storage in ${dataDir} failed (${describeExit(result)}); log: ${launch.logFile}`,
        tailFile(launch.logFile),
      );
    }
  }

  return spawnToLog(
    java,
    [...jvmOptions({ initial: '256m', max: '512m' }), '-cp', classPath, 'kafka.Kafka', configFile],
    { cwd: dir, logFile: launch.logFile, detached: launch.detached },
  );
}

export interface StartKafkaOptions {
  /** Working directory for this broker (config, data, kafka.log); created when missing. */
  dir: string;
  port: number;
  controllerPort: number;
  log?: Log;
}

/**
 * A throw-away single-node Kafka for one test (e.g. "gateway answers 503 when
 * Kafka stops"). Reuses the cached jars.
 */
export async function startKafka(options: StartKafkaOptions): Promise<DisposableServer> {
  const dir = ensureDir(path.resolve(options.dir));
  const logPath = path.join(dir, 'kafka.log');
  const url = kafkaAddress(options.port);
  return startDisposable({
    what: `Kafka on ${url}`,
    url,
    logFile: logPath,
    ports: [options.port, options.controllerPort],
    readyTimeoutMs: KAFKA_READY_TIMEOUT_MS,
    stopGraceMs: KAFKA_STOP_GRACE_MS,
    spawnServer: () =>
      launchKafka({
        port: options.port,
        controllerPort: options.controllerPort,
        dir,
        logFile: logPath,
        detached: false,
        log: options.log,
      }),
    probe: () => probeKafka(url),
    afterReady: () => warmUpKafka(url),
  });
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}
