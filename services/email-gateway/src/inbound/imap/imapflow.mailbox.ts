import type { ImapFlow } from 'imapflow';
import type { ImapMail, ImapMailbox } from './imap-mailbox';

export type ProcessedAction = { kind: 'seen' } | { kind: 'move'; folder: string };

/**
 * The imapflow adapter of ImapMailbox over a connected client with the mailbox selected
 * (`client.mailboxOpen(path)`); exercised against Dovecot in imap-account-poller.int-spec.ts.
 */
export class ImapflowMailbox implements ImapMailbox {
  constructor(
    private readonly client: ImapFlow,
    private readonly processed: ProcessedAction,
  ) {}

  uidValidity(): string {
    const mailbox = this.client.mailbox;
    if (mailbox === false) throw new Error('no IMAP mailbox is selected');
    return mailbox.uidValidity.toString();
  }

  /**
   * UIDs first, then one FETCH per mail: imapflow cannot run other commands (the caller's
   * markProcessed) while a FETCH stream is open, and a mailbox may be too large to buffer.
   */
  async *mailsAfter(afterUid: number): AsyncIterable<ImapMail> {
    const uids = await this.client.search({ uid: `${afterUid + 1}:*` }, { uid: true });
    for (const uid of (uids || []).filter((found) => found > afterUid).sort((a, b) => a - b)) {
      const message = await this.client.fetchOne(String(uid), { source: true }, { uid: true });
      if (message !== false && message.source !== undefined) yield { uid, raw: message.source };
    }
  }

  async markProcessed(uid: number): Promise<void> {
    const range = String(uid);
    if (this.processed.kind === 'move')
      await this.client.messageMove(range, this.processed.folder, { uid: true });
    else await this.client.messageFlagsAdd(range, ['\\Seen'], { uid: true });
  }
}
