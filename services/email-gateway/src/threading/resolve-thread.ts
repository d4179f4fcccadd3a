import type { ThreadIndex } from './thread-index';
import { type ThreadSigner, tokenInAddress, tokenInSubject } from './thread-signer';

export interface ThreadQuery {
  tenantId: string;
  /** Every address the mail was delivered to (SMTP RCPT TO, To, Cc, Delivered-To). */
  recipients: readonly string[];
  subject?: string;
  messageId: string;
  /** In-Reply-To first, then References newest first. */
  inReplyTo: readonly string[];
  sender: string;
  /** The DMARC verdict; "fail" may only continue threads the sender already belongs to. */
  dmarc?: string;
}

export type ThreadMatch = 'token' | 'references' | 'subject-marker' | 'new';

export interface ThreadResolution {
  threadKey: string;
  matchedBy: ThreadMatch;
  /** Why a candidate thread was not used (forged token, DMARC failure), for the envelope. */
  refused?: string;
}

/**
 * The email threading rule (the conversation service then finds or creates by thread key):
 * 1. a valid signed token in a recipient plus-address → that token's thread;
 * 2. else the first known id of (its own Message-ID,) In-Reply-To, References within the tenant;
 * 3. else a valid signed token in the subject (`[#…]`) → its thread;
 * 4. else a new thread whose key is the mail's own Message-ID.
 * Forged tokens are ignored. A sender failing DMARC keeps a candidate thread only if it is
 * already a participant of it; otherwise it starts a new thread.
 */
export async function resolveThread(
  query: ThreadQuery,
  signer: ThreadSigner,
  index: ThreadIndex,
): Promise<ThreadResolution> {
  const refusals: string[] = [];
  const candidates: { threadKey: string | undefined; matchedBy: ThreadMatch }[] = [];

  const addressTokens = [
    ...new Set(query.recipients.flatMap((address) => tokenInAddress(address) ?? [])),
  ];
  for (const token of addressTokens) {
    const ref = signer.verifyThreadToken(query.tenantId, token);
    if (ref === undefined) refusals.push('forged thread token ignored');
    else
      candidates.push({
        threadKey: await index.findByThreadRef(query.tenantId, ref),
        matchedBy: 'token',
      });
  }
  candidates.push({
    // The mail's own id first: our own mail coming back, or a retry, stays in its thread.
    threadKey: await index.findByMessageIds(query.tenantId, [query.messageId, ...query.inReplyTo]),
    matchedBy: 'references',
  });
  const subjectToken = tokenInSubject(query.subject);
  if (subjectToken !== undefined) {
    const ref = signer.verifyThreadToken(query.tenantId, subjectToken);
    if (ref === undefined) refusals.push('forged subject marker ignored');
    else
      candidates.push({
        threadKey: await index.findByThreadRef(query.tenantId, ref),
        matchedBy: 'subject-marker',
      });
  }

  for (const candidate of candidates) {
    if (candidate.threadKey === undefined) continue;
    if (
      query.dmarc === 'fail' &&
      !(await index.isParticipant(query.tenantId, candidate.threadKey, query.sender))
    ) {
      refusals.push('sender failed DMARC and is not a participant of the thread');
      break;
    }
    return withRefusals(
      { threadKey: candidate.threadKey, matchedBy: candidate.matchedBy },
      refusals,
    );
  }
  return withRefusals({ threadKey: query.messageId, matchedBy: 'new' }, refusals);
}

function withRefusals(resolution: ThreadResolution, refusals: string[]): ThreadResolution {
  return refusals.length > 0 ? { ...resolution, refused: refusals.join('; ') } : resolution;
}
