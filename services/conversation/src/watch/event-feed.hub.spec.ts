import { expectEventually } from '@switchboard/testing';
import type { PendingEvent } from '../conversations/conversation.model';
import type { EventLogRepository, LoggedEvent } from '../persistence/event-log.repository';
import { asTenantId, type TenantId } from '../shared/tenant-id';
import { EventFeedHub, type FeedItem } from './event-feed.hub';

/** An in-memory log that answers reads after a delay, so appends race with replays. */
class SlowMemoryLog implements EventLogRepository {
  readonly events: LoggedEvent[] = [];

  async append(
    tenant: TenantId,
    conversationId: string,
    event: PendingEvent,
  ): Promise<LoggedEvent> {
    const logged = { ...event, tenantId: tenant, conversationId, cursor: this.events.length + 1 };
    this.events.push(logged);
    return logged;
  }

  async readAfter(_tenant: TenantId, after: number, limit: number): Promise<LoggedEvent[]> {
    const snapshot = this.events.slice(after, after + limit);
    await new Promise((resolve) => setTimeout(resolve, 3));
    return snapshot;
  }

  async head(): Promise<number> {
    return this.events.length;
  }
}

const tenant = asTenantId('acme');

function event(seq: number): PendingEvent {
  return {
    seq,
    type: 'tags_changed',
    occurredAt: new Date(),
    actor: { kind: 'agent', id: 'a' },
    triggersRouting: false,
    data: {},
    snapshot: {
      channel: 'email',
      threadKey: 't',
      status: 'open',
      priority: 'normal',
      tags: [],
      contactId: 'c',
    },
  };
}

const cursors = (items: FeedItem[]) =>
  items.map((item) => (item.kind === 'event' ? item.event.cursor : -1));

describe('EventFeedHub', () => {
  it('replays, then goes live without a gap or a duplicate while events keep arriving', async () => {
    const log = new SlowMemoryLog();
    const hub = new EventFeedHub(log, { pollIntervalMs: 2, batchSize: 4 });
    for (let seq = 1; seq <= 10; seq += 1) await log.append(tenant, 'cv', event(seq));

    const early: FeedItem[] = [];
    const earlySubscription = await hub.subscribe(
      tenant,
      undefined,
      () => true,
      (item) => early.push(item),
    );
    let seq = 10;
    const writer = setInterval(() => {
      seq += 1;
      if (seq > 60) return;
      void log.append(tenant, 'cv', event(seq)).then(() => hub.eventsLogged(tenant));
    }, 1);
    const resumed: FeedItem[] = [];
    const subscription = await hub.subscribe(
      tenant,
      3,
      () => true,
      (item) => resumed.push(item),
    );
    await new Promise((resolve) => setTimeout(resolve, 60));
    clearInterval(writer);

    // Waits for the feed to deliver the last appends (a loaded machine may take a while).
    const total = log.events.length;
    await expectEventually(() => expect(subscription.position).toBe(total), { timeoutMs: 5_000 });
    expect(cursors(resumed)).toEqual(Array.from({ length: total - 3 }, (_, index) => index + 4));
    expect(cursors(early)).toEqual(Array.from({ length: total - 10 }, (_, index) => index + 11));
    expect(hub.subscriberCount()).toBe(2);
    subscription.close();
    earlySubscription.close();
    expect(hub.subscriberCount()).toBe(0);
    hub.close();
  });

  it('delivers only what the filter lets through, and ephemeral activity to live subscribers', async () => {
    const log = new SlowMemoryLog();
    const hub = new EventFeedHub(log, { pollIntervalMs: 2 });
    const received: FeedItem[] = [];
    const subscription = await hub.subscribe(
      tenant,
      undefined,
      (item) => (item.kind === 'event' ? item.event.conversationId === 'mine' : true),
      (item) => received.push(item),
    );
    await log.append(tenant, 'other', event(1));
    await log.append(tenant, 'mine', event(1));
    hub.eventsLogged(tenant);
    hub.broadcastActivity(tenant, {
      kind: 'activity',
      conversationId: 'mine',
      actor: { kind: 'agent', id: 'a2' },
      isAssignee: false,
      activity: 'typing',
      occurredAt: new Date(),
      snapshot: event(1).snapshot,
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(received.map((item) => item.kind)).toEqual(['activity', 'event']);
    expect(cursors(received.filter((item) => item.kind === 'event'))).toEqual([2]);
    subscription.close();
    hub.close();
  });
});
