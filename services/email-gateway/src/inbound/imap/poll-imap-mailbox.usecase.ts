import type { Clock } from '../../shared/clock';
import type { IngestMailCommand, IngestOutcome } from '../ingest-mail.usecase';
import type { ImapCheckpointStore, ImapMailbox } from './imap-mailbox';

export interface PollImapMailboxCommand {
  tenantId: string;
  /** Stable id of the account within the tenant (the checkpoint key). */
  accountId: string;
  /** The support address the mailbox receives for; the mail's recipient for tenant routing. */
  address: string;
  mailbox: ImapMailbox;
  /** Aborted on shutdown: the pass ends after the mail in hand is on Kafka and checkpointed. */
  signal?: AbortSignal;
}

export interface PollImapMailboxDependencies {
  ingest: { execute(command: IngestMailCommand): Promise<IngestOutcome> };
  checkpoints: ImapCheckpointStore;
  clock: Clock;
}

export interface PollResult {
  ingested: number;
  /** True when UIDVALIDITY changed (or no checkpoint existed) and the mailbox was read from UID 0. */
  rescanned: boolean;
}

/**
 * One pass over an IMAP mailbox. Each mail goes through the same ingest use case as SMTP; only
 * once its envelope is on Kafka (or it was archived and dead-lettered as unparseable) is it
 * marked and the checkpoint advanced, one UID at a time. So an outage stops the pass where it
 * is: nothing is skipped, and the next pass resumes at the first mail not yet on Kafka.
 * A new UIDVALIDITY means the server renumbered the mailbox: it is read again from the start,
 * which is harmless because ingest derives its ids from the bytes and the conversation service
 * dedupes by Message-ID. A crash between ingest and checkpoint re-imports one mail, likewise.
 */
export class PollImapMailboxUseCase {
  constructor(private readonly deps: PollImapMailboxDependencies) {}

  async execute(command: PollImapMailboxCommand): Promise<PollResult> {
    const { tenantId, accountId, mailbox } = command;
    const uidValidity = mailbox.uidValidity();
    const checkpoint = await this.deps.checkpoints.get(tenantId, accountId);
    const rescanned = checkpoint?.uidValidity !== uidValidity;
    let lastUid = rescanned ? 0 : checkpoint.lastUid;
    let ingested = 0;
    for await (const mail of mailbox.mailsAfter(lastUid)) {
      if (command.signal?.aborted) break;
      // IMAP's `n:*` always includes the newest mail, even below n: never take it twice.
      if (mail.uid <= lastUid) continue;
      // A rejection (Kafka, Redis, disk unavailable) propagates: the checkpoint stays put.
      await this.deps.ingest.execute({
        raw: mail.raw,
        tenantId,
        recipients: [command.address],
        source: 'imap',
        receivedAt: this.deps.clock.now(),
      });
      await mailbox.markProcessed(mail.uid);
      lastUid = mail.uid;
      await this.deps.checkpoints.set(tenantId, accountId, { uidValidity, lastUid });
      ingested += 1;
    }
    if (rescanned && ingested === 0)
      await this.deps.checkpoints.set(tenantId, accountId, { uidValidity, lastUid });
    return { ingested, rescanned };
  }
}
