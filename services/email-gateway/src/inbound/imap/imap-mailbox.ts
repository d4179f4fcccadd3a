/** One mail of an IMAP mailbox, by UID (ascending within one UIDVALIDITY). */
export interface ImapMail {
  uid: number;
  raw: Buffer;
}

/**
 * An open IMAP mailbox, as the poll use case needs it; `imapflow.mailbox.ts` is the imapflow
 * adapter. Behind this interface so the checkpoint rules are tested without an IMAP server.
 */
export interface ImapMailbox {
  /** UIDVALIDITY of the selected mailbox, as a decimal string (it is a 32-bit unsigned int). */
  uidValidity(): string;
  /** Mails whose UID is above `afterUid`, in ascending UID order. */
  mailsAfter(afterUid: number): AsyncIterable<ImapMail>;
  /** Flags the mail \Seen or moves it, as the account asks; only called once it is on Kafka. */
  markProcessed(uid: number): Promise<void>;
}

export interface ImapCheckpoint {
  uidValidity: string;
  lastUid: number;
}

/** Where the poller remembers how far it got, per tenant and account. */
export interface ImapCheckpointStore {
  get(tenantId: string, accountId: string): Promise<ImapCheckpoint | undefined>;
  set(tenantId: string, accountId: string, checkpoint: ImapCheckpoint): Promise<void>;
}
