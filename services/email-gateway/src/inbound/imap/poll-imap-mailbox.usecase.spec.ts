import type { IngestMailCommand, IngestOutcome } from '../ingest-mail.usecase';
import { InMemoryImapCheckpointStore } from './imap-checkpoint.store';
import type { ImapMail, ImapMailbox } from './imap-mailbox';
import { PollImapMailboxUseCase } from './poll-imap-mailbox.usecase';

/** A mailbox as an IMAP server presents it, including `n:*` returning the newest mail. */
class FakeMailbox implements ImapMailbox {
  readonly marked: number[] = [];
  constructor(
    public validity: string,
    public mails: ImapMail[],
  ) {}
  uidValidity(): string {
    return this.validity;
  }
  async *mailsAfter(afterUid: number): AsyncIterable<ImapMail> {
    const newer = this.mails.filter((mail) => mail.uid > afterUid);
    const newest = this.mails.at(-1);
    yield* newer.length > 0 || newest === undefined ? newer : [newest];
  }
  markProcessed(uid: number): Promise<void> {
    this.marked.push(uid);
    return Promise.resolve();
  }
}

/** Records ingested mails; can be told to fail like an unavailable Kafka. */
class RecordingIngest {
  readonly ingested: string[] = [];
  failOn: string | undefined;
  execute(command: IngestMailCommand): Promise<IngestOutcome> {
    const body = command.raw.toString();
    if (body === this.failOn) return Promise.reject(new Error('kafka unavailable'));
    this.ingested.push(body);
    expect(command).toMatchObject({
      source: 'imap',
      tenantId: 'acme',
      recipients: ['in@acme.test'],
    });
    return Promise.resolve({ kind: 'rejected', reason: 'irrelevant here', archiveKey: 'k' });
  }
}

function mail(uid: number): ImapMail {
  return { uid, raw: Buffer.from(`mail ${uid}`) };
}

function setup(mailbox: FakeMailbox, signal?: AbortSignal) {
  const ingest = new RecordingIngest();
  const checkpoints = new InMemoryImapCheckpointStore();
  const sut = new PollImapMailboxUseCase({
    ingest,
    checkpoints,
    clock: { now: () => new Date('2026-11-25T12:00:00Z') },
  });
  const poll = () =>
    sut.execute({
      tenantId: 'acme',
      accountId: 'inbox',
      address: 'in@acme.test',
      mailbox,
      ...(signal ? { signal } : {}),
    });
  return { poll, ingest, checkpoints };
}

describe('PollImapMailboxUseCase', () => {
  it('imports each mail once, in UID order, marking it only after ingest, and resumes from the checkpoint', async () => {
    const mailbox = new FakeMailbox('7', [mail(3), mail(5)]);
    const { poll, ingest, checkpoints } = setup(mailbox);
    await expect(poll()).resolves.toEqual({ ingested: 2, rescanned: true });
    expect(checkpoints.checkpoints.get('acme:inbox')).toEqual({ uidValidity: '7', lastUid: 5 });

    // Nothing new: the server still returns UID 5 for `6:*`, which must not be imported again.
    await expect(poll()).resolves.toEqual({ ingested: 0, rescanned: false });
    mailbox.mails.push(mail(9));
    await expect(poll()).resolves.toEqual({ ingested: 1, rescanned: false });
    expect(ingest.ingested).toEqual(['mail 3', 'mail 5', 'mail 9']);
    expect(mailbox.marked).toEqual([3, 5, 9]);
  });

  it('stops at the first mail that cannot reach Kafka and continues there after the outage', async () => {
    const mailbox = new FakeMailbox('7', [mail(1), mail(2), mail(3)]);
    const { poll, ingest, checkpoints } = setup(mailbox);
    ingest.failOn = 'mail 2';
    await expect(poll()).rejects.toThrow('kafka unavailable');
    expect(checkpoints.checkpoints.get('acme:inbox')).toEqual({ uidValidity: '7', lastUid: 1 });
    expect(mailbox.marked).toEqual([1]);

    ingest.failOn = undefined;
    await expect(poll()).resolves.toEqual({ ingested: 2, rescanned: false });
    expect(ingest.ingested).toEqual(['mail 1', 'mail 2', 'mail 3']);
  });

  it('reads the whole mailbox again when UIDVALIDITY changes', async () => {
    const mailbox = new FakeMailbox('7', [mail(10), mail(11)]);
    const { poll, ingest, checkpoints } = setup(mailbox);
    await poll();
    mailbox.validity = '8';
    mailbox.mails = [mail(1), mail(2)];
    await expect(poll()).resolves.toEqual({ ingested: 2, rescanned: true });
    expect(ingest.ingested).toEqual(['mail 10', 'mail 11', 'mail 1', 'mail 2']);
    expect(checkpoints.checkpoints.get('acme:inbox')).toEqual({ uidValidity: '8', lastUid: 2 });
  });

  it('records the UIDVALIDITY of an empty mailbox so its first mail is not taken for a renumbering', async () => {
    const mailbox = new FakeMailbox('7', []);
    const { poll, checkpoints } = setup(mailbox);
    await expect(poll()).resolves.toEqual({ ingested: 0, rescanned: true });
    expect(checkpoints.checkpoints.get('acme:inbox')).toEqual({ uidValidity: '7', lastUid: 0 });
    mailbox.mails.push(mail(1));
    await expect(poll()).resolves.toEqual({ ingested: 1, rescanned: false });
  });

  it('ends the pass after the mail in hand when stopped, and the next pass continues there', async () => {
    const mailbox = new FakeMailbox('7', [mail(1), mail(2), mail(3)]);
    const stop = new AbortController();
    const { poll, ingest, checkpoints } = setup(mailbox, stop.signal);
    const ingestOne = ingest.execute.bind(ingest);
    ingest.execute = (command) => {
      stop.abort(); // the shutdown arrives while the first mail is being ingested
      return ingestOne(command);
    };
    await expect(poll()).resolves.toEqual({ ingested: 1, rescanned: true });
    expect(checkpoints.checkpoints.get('acme:inbox')).toEqual({ uidValidity: '7', lastUid: 1 });

    const next = setup(mailbox);
    next.checkpoints.checkpoints.set('acme:inbox', { uidValidity: '7', lastUid: 1 });
    await expect(next.poll()).resolves.toEqual({ ingested: 2, rescanned: false });
    expect(next.ingest.ingested).toEqual(['mail 2', 'mail 3']);
  });
});
