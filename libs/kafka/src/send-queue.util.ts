/**
 * Pure helpers of the producer's send queue. The producer sends one request at a time: kafkajs's
 * idempotent producer rolls its sequence numbers back when a request fails, so a concurrent
 * request slipping in between could reuse them and be dropped by the broker as a "duplicate".
 * Sends queued meanwhile are coalesced into the next request, which keeps throughput.
 */
export interface QueuedSend {
  /** Epoch ms after which the caller has been told Kafka is unavailable. */
  deadline: number;
  sizeBytes: number;
  /** Set after a coalesced request was refused, so one bad message cannot fail its neighbours. */
  sendAlone: boolean;
}

export interface SendBatchSelection<T> {
  expired: T[];
  batch: T[];
  remaining: T[];
}

/**
 * Takes the next request's sends from the head of the queue, in order (skipping ahead would break
 * per-key order across sends). The first live send is always taken, even when it alone exceeds
 * `maxBatchBytes`, so the broker gets to judge it.
 */
export function takeSendBatch<T extends QueuedSend>(
  queue: readonly T[],
  now: number,
  maxBatchBytes: number,
): SendBatchSelection<T> {
  const expired: T[] = [];
  const batch: T[] = [];
  let batchBytes = 0;
  let index = 0;
  for (; index < queue.length; index += 1) {
    const entry = queue[index];
    if (entry === undefined) {
      break;
    }
    if (entry.deadline <= now) {
      expired.push(entry);
      continue;
    }
    if (batch.length === 0) {
      batch.push(entry);
      batchBytes = entry.sizeBytes;
      if (entry.sendAlone) {
        index += 1;
        break;
      }
      continue;
    }
    if (entry.sendAlone || batchBytes + entry.sizeBytes > maxBatchBytes) {
      break;
    }
    batch.push(entry);
    batchBytes += entry.sizeBytes;
  }
  return { expired, batch, remaining: queue.slice(index) };
}

/** Approximate bytes of a message on the wire, to keep coalesced requests below broker limits. */
export function estimateMessageBytes(message: {
  key: string | Buffer | null;
  value: string | Buffer | null;
  headers?: Readonly<Record<string, unknown>>;
}): number {
  const lengthOf = (part: string | Buffer | null): number =>
    part === null ? 0 : typeof part === 'string' ? Buffer.byteLength(part) : part.length;
  let headerBytes = 0;
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    headerBytes += Buffer.byteLength(name);
    if (typeof value === 'string' || Buffer.isBuffer(value)) {
      headerBytes += lengthOf(value);
    }
  }
  // ~70 bytes of record and batch framing per message.
  return lengthOf(message.key) + lengthOf(message.value) + headerBytes + 70;
}
