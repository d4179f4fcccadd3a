import type { ConversationSnapshot } from '@switchboard/events';
import type { EventLogRepository, LoggedEvent } from '../persistence/event-log.repository';
import type { TenantId } from '../shared/tenant-id';
import type { EventLogListener } from '../conversations/event-outbox';

/** Something a watcher receives: a logged event, or ephemeral activity (never replayed). */
export type FeedItem =
  | { kind: 'event'; event: LoggedEvent }
  | {
      kind: 'activity';
      conversationId: string;
      /** An agent (from SetActivity on any replica) or the customer (from their gateway). */
      actor: { kind: 'agent' | 'customer'; id: string };
      /** Agents only: whether the agent is the conversation's assignee. */
      isAssignee: boolean;
      activity: 'viewing' | 'typing' | 'idle';
      /** The newest message the actor has seen, when known. */
      lastReadMessageId?: string;
      occurredAt: Date;
      snapshot: ConversationSnapshot;
    };

export type FeedFilter = (item: FeedItem) => boolean;

export interface FeedSubscription {
  /** The cursor of the newest event considered for this subscriber. */
  readonly position: number;
  close(): void;
}

export interface EventFeedOptions {
  /** How often each tenant's log is polled while someone watches it. */
  pollIntervalMs: number;
  batchSize?: number;
}

class Subscriber {
  private replaying = true;
  private buffer: LoggedEvent[] = [];

  constructor(
    public position: number,
    private readonly filter: FeedFilter,
    private readonly sink: (item: FeedItem) => void,
  ) {}

  offerLive(event: LoggedEvent): void {
    if (this.replaying) this.buffer.push(event);
    else this.deliver(event);
  }

  offerActivity(item: FeedItem): void {
    if (this.filter(item)) this.sink(item);
  }

  /** Delivers each cursor once, in order: replay and live may both offer the same event. */
  deliver(event: LoggedEvent): void {
    if (event.cursor <= this.position) return;
    this.position = event.cursor;
    const item: FeedItem = { kind: 'event', event };
    if (this.filter(item)) this.sink(item);
  }

  /** True once the replay reached what the live feed has buffered: the buffer covers the rest. */
  caughtUpWithLive(): boolean {
    const first = this.buffer[0];
    return first !== undefined && this.position >= first.cursor - 1;
  }

  goLive(): void {
    const buffered = this.buffer;
    this.buffer = [];
    for (const event of buffered) this.deliver(event);
    this.replaying = false;
  }
}

/**
 * One poller per tenant with watchers on this replica, reading the tenant's log in cursor order
 * and fanning out to every local subscriber. The log is the only source: its cursor is gap-free
 * and becomes visible in order, so "after cursor N" is an exact resume position across scopes and
 * replicas. Writes on this replica poke the poller for low latency; writes elsewhere are seen
 * within one poll interval.
 */
export class EventFeedHub implements EventLogListener {
  private readonly feeds = new Map<TenantId, TenantFeed>();

  constructor(
    private readonly eventLog: EventLogRepository,
    private readonly options: EventFeedOptions,
  ) {}

  eventsLogged(tenant: TenantId): void {
    this.feeds.get(tenant)?.poke();
  }

  subscriberCount(): number {
    let count = 0;
    for (const feed of this.feeds.values()) count += feed.size();
    return count;
  }

  /**
   * Replays events after `resumeAfter` (or starts at the current head when undefined), then
   * delivers live events, with no gap and no duplicate at the handover.
   */
  async subscribe(
    tenant: TenantId,
    resumeAfter: number | undefined,
    filter: FeedFilter,
    sink: (item: FeedItem) => void,
  ): Promise<FeedSubscription> {
    let feed = this.feeds.get(tenant);
    if (!feed) {
      feed = new TenantFeed(tenant, this.eventLog, this.options, () => this.feeds.delete(tenant));
      this.feeds.set(tenant, feed);
    }
    const start = resumeAfter ?? (await this.eventLog.head(tenant));
    const subscriber = new Subscriber(start, filter, sink);
    // Registered before the replay reads, so live events arriving meanwhile are buffered.
    feed.add(subscriber);
    try {
      const batch = this.options.batchSize ?? 500;
      for (;;) {
        const events = await this.eventLog.readAfter(tenant, subscriber.position, batch);
        for (const event of events) subscriber.deliver(event);
        // Stop at the end of the log, or earlier where the live buffer starts (a fast writer
        // could otherwise keep the replay chasing the head).
        if (events.length < batch || subscriber.caughtUpWithLive()) break;
      }
      subscriber.goLive();
    } catch (error) {
      feed.remove(subscriber);
      throw error;
    }
    const owner = feed;
    return {
      get position() {
        return subscriber.position;
      },
      close: () => owner.remove(subscriber),
    };
  }

  /** Whether anyone on this replica watches the tenant (else relayed activity is not looked up). */
  hasSubscribers(tenant: TenantId): boolean {
    return (this.feeds.get(tenant)?.size() ?? 0) > 0;
  }

  broadcastActivity(tenant: TenantId, item: FeedItem): void {
    this.feeds.get(tenant)?.broadcast(item);
  }

  close(): void {
    for (const feed of this.feeds.values()) feed.stop();
    this.feeds.clear();
  }
}

class TenantFeed {
  private readonly subscribers = new Set<Subscriber>();
  private position: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private pokedWhilePolling = false;
  private stopped = false;

  constructor(
    private readonly tenant: TenantId,
    private readonly eventLog: EventLogRepository,
    private readonly options: EventFeedOptions,
    private readonly onEmpty: () => void,
  ) {}

  size(): number {
    return this.subscribers.size;
  }

  add(subscriber: Subscriber): void {
    this.subscribers.add(subscriber);
    // A new feed starts where its first subscriber starts. A later subscriber needs no earlier
    // start: it replays up to the head itself, and the feed never skips past the head.
    this.position ??= subscriber.position;
    this.schedule(this.options.pollIntervalMs);
  }

  remove(subscriber: Subscriber): void {
    this.subscribers.delete(subscriber);
    if (this.subscribers.size === 0) {
      this.stop();
      this.onEmpty();
    }
  }

  broadcast(item: FeedItem): void {
    for (const subscriber of this.subscribers) subscriber.offerActivity(item);
  }

  poke(): void {
    if (this.polling) this.pokedWhilePolling = true;
    else this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped || this.polling) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.polling = this.poll().finally(() => {
        this.polling = undefined;
        const again = this.pokedWhilePolling;
        this.pokedWhilePolling = false;
        this.schedule(again ? 0 : this.options.pollIntervalMs);
      });
    }, delayMs);
  }

  private async poll(): Promise<void> {
    const batch = this.options.batchSize ?? 500;
    try {
      for (;;) {
        const events = await this.eventLog.readAfter(this.tenant, this.position ?? 0, batch);
        for (const event of events) {
          this.position = event.cursor;
          for (const subscriber of this.subscribers) subscriber.offerLive(event);
        }
        if (events.length < batch || this.stopped) return;
      }
    } catch {
      // The database is unavailable: try again at the next interval; nothing is skipped.
    }
  }
}
