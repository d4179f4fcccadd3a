import { Gauge, Histogram, type MetricsRegistry, Counter } from '@switchboard/metrics';
import { CONVERSATION_STATUSES } from '@switchboard/events';
import type { ConversationCore } from '../conversations/conversation-core';
import type { EventLogListener } from '../conversations/event-outbox';
import type { LoggedEvent } from '../persistence/event-log.repository';

const SECONDS_BUCKETS = [
  5, 15, 30, 60, 120, 300, 900, 1800, 3600, 7200, 14_400, 43_200, 86_400, 259_200,
];

/** Prometheus metrics of the conversation service, fed by the events it logs. */
export class ConversationMetrics implements EventLogListener {
  private readonly firstResponse: Histogram;
  private readonly resolution: Histogram;
  private readonly breaches: Counter;
  private readonly firstContactResolutions: Counter;
  private readonly ingestLag: Histogram;

  constructor(core: ConversationCore, registry: MetricsRegistry) {
    this.firstResponse = new Histogram({
      name: 'conversation_first_response_seconds',
      help: 'Time from a conversation’s creation to the first agent reply',
      labelNames: ['channel'],
      buckets: SECONDS_BUCKETS,
      registers: [registry],
    });
    this.resolution = new Histogram({
      name: 'conversation_resolution_seconds',
      help: 'Time from a conversation’s creation to its resolution',
      labelNames: ['channel'],
      buckets: SECONDS_BUCKETS,
      registers: [registry],
    });
    this.breaches = new Counter({
      name: 'conversation_sla_breaches_total',
      help: 'SLA targets missed',
      labelNames: ['target', 'channel'],
      registers: [registry],
    });
    this.firstContactResolutions = new Counter({
      name: 'conversation_resolutions_total',
      help: 'Resolutions, by whether the first contact resolved the conversation',
      labelNames: ['first_contact'],
      registers: [registry],
    });
    this.ingestLag = new Histogram({
      name: 'conversation_ingest_lag_seconds',
      help: 'Time an inbound message waited in Kafka before it was stored',
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
    const feed = core.feed;
    new Gauge({
      name: 'conversation_watch_subscribers',
      help: 'WatchEvents streams open on this replica',
      registers: [registry],
      collect() {
        this.set(feed.subscriberCount());
      },
    });
    const models = core.models;
    new Gauge({
      name: 'conversations',
      help: 'Conversations by status (all tenants)',
      labelNames: ['status'],
      registers: [registry],
      async collect() {
        for (const status of CONVERSATION_STATUSES) {
          this.set({ status }, await models.conversations.countDocuments({ status }).exec());
        }
      },
    });
    core.outbox.addListener(this);
  }

  observeIngestLag(lagMs: number): void {
    this.ingestLag.observe(Math.max(0, lagMs) / 1000);
  }

  eventsLogged(_tenant: string, events: readonly LoggedEvent[]): void {
    for (const event of events) {
      const channel = event.snapshot.channel;
      const firstResponseMs = event.data['firstResponseMs'];
      if (event.type === 'message_added' && firstResponseMs) {
        this.firstResponse.observe({ channel }, Number(firstResponseMs) / 1000);
      }
      if (event.type === 'status_changed' && event.data['resolutionMs']) {
        this.resolution.observe({ channel }, Number(event.data['resolutionMs']) / 1000);
        this.firstContactResolutions.inc({
          first_contact: event.data['firstContactResolution'] ?? 'false',
        });
      }
      if (event.type === 'sla_breached') {
        this.breaches.inc({ target: event.data['target'] ?? 'unknown', channel });
      }
    }
  }
}
