import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '@switchboard/stack';
import { ImapFlow } from 'imapflow';

/**
 * A real IMAP server for tests: Debian's Dovecot, run in the foreground from a temporary
 * directory with a configuration of its own (loopback, one plaintext user, maildir storage), so
 * it never reads /etc/dovecot or touches a system Dovecot service. `dovecot-imapd` is installed
 * with apt-get when missing (CI starts from a fresh machine); Debian's policy-rc.d, where present,
 * keeps the package's own service from starting, and either way that service is left alone.
 */

export interface ImapServerStandIn {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** APPENDs a raw RFC 822 message, as a mail server's delivery would; returns its UID. */
  appendMessage(raw: Buffer | string, mailbox?: string): Promise<number>;
  /** Creates a mailbox (folder) if it does not exist. */
  createMailbox(mailbox: string): Promise<void>;
  /** Deletes and creates the mailbox again: its UIDVALIDITY changes and UIDs restart at 1. */
  recreateMailbox(mailbox: string): Promise<void>;
  /** UIDVALIDITY and the UIDs of the messages of a mailbox, with their \Seen flag. */
  inspectMailbox(
    mailbox?: string,
  ): Promise<{ uidValidity: string; seenUids: number[]; uids: number[] }>;
  /** SIGTERMs Dovecot, waits for it to exit and removes the temporary directory. */
  stop(): Promise<void>;
}

export interface ImapServerStandInOptions {
  /** Default true. False removes IDLE from the advertised capabilities (a server without IDLE). */
  advertiseIdle?: boolean;
}

const DOVECOT_PATHS = ['/usr/sbin/dovecot', '/usr/local/sbin/dovecot'];
const APT_GET = '/usr/bin/apt-get';
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const run = promisify(execFile);

/** Path of the dovecot binary, installing Debian's `dovecot-imapd` first when it is missing. */
export async function ensureDovecot(): Promise<string> {
  const found = DOVECOT_PATHS.find((candidate) => existsSync(candidate));
  if (found !== undefined) return found;
  if (process.getuid?.() !== 0 || !existsSync(APT_GET)) {
    throw new Error(
      'dovecot is not installed and cannot be installed here (needs root and apt-get): run `apt-get install -y dovecot-imapd`',
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    run(APT_GET, ['install', '-y', '--no-install-recommends', 'dovecot-imapd'], {
      env,
      maxBuffer: 16 * 1024 * 1024,
    });
  try {
    await install();
  } catch {
    // A fresh machine may have no package lists yet; only then is the update worth its time.
    await run(APT_GET, ['update'], { env, maxBuffer: 16 * 1024 * 1024 });
    await install();
  }
  const installed = DOVECOT_PATHS.find((candidate) => existsSync(candidate));
  if (installed === undefined) throw new Error('dovecot is still missing after apt-get install');
  return installed;
}

interface MailIdentity {
  uid: number;
  gid: number;
  /** The unprivileged user Dovecot's own login and auth processes run as. */
  serviceUser: string;
}

/**
 * As root, mail is accessed as `nobody` (Dovecot refuses UID 0 for mail); otherwise everything
 * runs as the current user, which Dovecot supports for unprivileged ports.
 */
function mailIdentity(): MailIdentity {
  if (process.getuid?.() === 0) {
    const nobody = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .map((line) => line.split(':'))
      .find((fields) => fields[0] === 'nobody');
    return {
      uid: Number(nobody?.[2] ?? 65534),
      gid: Number(nobody?.[3] ?? 65534),
      serviceUser: 'dovenull',
    };
  }
  const me = userInfo();
  return { uid: me.uid, gid: me.gid, serviceUser: me.username };
}

function dovecotConf(dir: string, port: number, identity: MailIdentity, advertiseIdle: boolean) {
  return `
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
instance_name = switchboard-imap-stand-in-${port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# Refused logins answer at once: tests of a wrong password need not wait.
auth_failure_delay = 0
default_login_user = ${identity.serviceUser}
default_internal_user = ${identity.serviceUser === 'dovenull' ? 'dovecot' : identity.serviceUser}
first_valid_uid = ${Math.min(identity.uid, 1)}
first_valid_gid = ${Math.min(identity.gid, 1)}
mail_location = maildir:${dir}/mail/%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${identity.uid} gid=${identity.gid} home=${dir}/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service stats {
  unix_listener stats-writer {
    mode = 0666
  }
}
${advertiseIdle ? '' : 'imap_capability = IMAP4rev1 SASL-IR LITERAL+ ID ENABLE UIDPLUS MOVE NAMESPACE\n'}`;
}

async function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('data', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.setTimeout(1_000, () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startImapServerStandIn(
  options: ImapServerStandInOptions = {},
): Promise<ImapServerStandIn> {
  const dovecot = await ensureDovecot();
  const dir = mkdtempSync(join(tmpdir(), 'imap-stand-in-'));
  const identity = mailIdentity();
  const port = await freePort();
  const user = 'support';
  const password = 'stand-in-password';
  // Dovecot's unprivileged processes must reach the maildir; its master keeps run/ and state/.
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'mail'), { mode: 0o755 });
  if (process.getuid?.() === 0) chownSync(join(dir, 'mail'), identity.uid, identity.gid);
  writeFileSync(join(dir, 'passwd'), `${user}:{PLAIN}${password}::::::\n`, { mode: 0o644 });
  const confFile = join(dir, 'dovecot.conf');
  writeFileSync(confFile, dovecotConf(dir, port, identity, options.advertiseIdle ?? true));

  const child = spawn(dovecot, ['-F', '-c', confFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const cleanUp = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited(child);
      clearTimeout(killTimer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await portAnswers(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const log = existsSync(join(dir, 'dovecot.log'))
        ? readFileSync(join(dir, 'dovecot.log'), 'utf8')
        : '';
      await cleanUp();
      throw new Error(`dovecot did not start on port ${port}: ${output}${log}`.trim());
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }

  /** A short-lived client per call: the stand-in must never hold a connection the test waits on. */
  async function withClient<T>(work: (client: ImapFlow) => Promise<T>): Promise<T> {
    const client = new ImapFlow({
      host: '127.0.0.1',
      port,
      secure: false,
      auth: { user, pass: password },
      logger: false,
      disableAutoIdle: true,
    });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.logout().catch(() => client.close());
    }
  }

  async function createMailbox(mailbox: string): Promise<void> {
    await withClient(async (client) => {
      const existing = await client.list();
      if (!existing.some((entry) => entry.path === mailbox)) await client.mailboxCreate(mailbox);
    });
  }

  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    async appendMessage(raw, mailbox = 'INBOX') {
      return withClient(async (client) => {
        const appended = await client.append(mailbox, raw);
        if (appended === false || appended.uid === undefined)
          throw new Error(`APPEND to ${mailbox} returned no UID`);
        return appended.uid;
      });
    },
    createMailbox,
    async recreateMailbox(mailbox) {
      if (mailbox.toUpperCase() === 'INBOX') throw new Error('INBOX cannot be deleted');
      await withClient(async (client) => {
        await client.mailboxDelete(mailbox).catch(() => undefined);
        await client.mailboxCreate(mailbox);
      });
    },
    async inspectMailbox(mailbox = 'INBOX') {
      return withClient(async (client) => {
        const opened = await client.mailboxOpen(mailbox, { readOnly: true });
        const uids: number[] = [];
        const seenUids: number[] = [];
        if (opened.exists > 0) {
          for await (const message of client.fetch('1:*', { uid: true, flags: true })) {
            uids.push(message.uid);
            if (message.flags?.has('\\Seen')) seenUids.push(message.uid);
          }
        }
        return { uidValidity: opened.uidValidity.toString(), uids, seenUids };
      });
    },
    stop: cleanUp,
  };
}
