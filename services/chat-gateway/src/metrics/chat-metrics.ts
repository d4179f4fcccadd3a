import { Counter, Gauge, type MetricsRegistry } from '@switchboard/metrics';
import type { FallbackResult } from '../email-fallback/send-email-fallbacks.usecase';
import type { ChatErrorCode } from '../shared/chat-error';

/**
 * The gateway's Prometheus metrics, on the service's /metrics. Sockets and message counts are
 * per replica (sum them); the unacknowledged replies are read from Redis, so every replica reports
 * the same cluster-wide figure (take the max).
 */
export class ChatMetrics {
  private readonly connected: Gauge;
  private readonly accepted: Counter<'duplicate'>;
  private readonly rejected: Counter<'reason'>;
  private readonly connectionsRejected: Counter<'reason'>;
  private readonly delivered: Counter;
  private readonly emailFallbacks: Counter<'outcome'>;

  constructor(registry: MetricsRegistry, pendingReplies: () => Promise<number>) {
    const registers = [registry];
    this.connected = new Gauge({
      name: 'switchboard_chat_connected_sockets',
      help: 'Visitor sockets connected to this replica',
      registers,
    });
    this.accepted = new Counter({
      name: 'switchboard_chat_messages_accepted_total',
      help: 'Visitor messages acknowledged after Kafka took them (duplicate="true": a retry)',
      labelNames: ['duplicate'],
      registers,
    });
    this.rejected = new Counter({
      name: 'switchboard_chat_messages_rejected_total',
      help: 'Visitor messages refused, by reason (the error code the visitor got)',
      labelNames: ['reason'],
      registers,
    });
    this.connectionsRejected = new Counter({
      name: 'switchboard_chat_connections_rejected_total',
      help: 'Visitor sockets refused at the handshake, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.delivered = new Counter({
      name: 'switchboard_chat_replies_delivered_total',
      help: 'Agent replies the visitor’s widget acknowledged',
      registers,
    });
    this.emailFallbacks = new Counter({
      name: 'switchboard_chat_email_fallbacks_total',
      help: 'Due unacknowledged replies handled by this replica, by outcome (sent: email produced)',
      labelNames: ['outcome'],
      registers,
    });
    new Gauge({
      name: 'switchboard_chat_unacked_replies',
      help: 'Agent replies waiting in visitor mailboxes for an acknowledgement (all replicas)',
      registers,
      async collect() {
        // While Redis does not answer, the last figure stays rather than failing the scrape.
        await pendingReplies().then(
          (count) => this.set(count),
          () => undefined,
        );
      },
    });
  }

  socketConnected(): void {
    this.connected.inc();
  }

  socketDisconnected(): void {
    this.connected.dec();
  }

  messageAccepted(duplicate: boolean): void {
    this.accepted.inc({ duplicate: String(duplicate) });
  }

  messageRejected(reason: ChatErrorCode): void {
    this.rejected.inc({ reason });
  }

  connectionRejected(reason: ChatErrorCode): void {
    this.connectionsRejected.inc({ reason });
  }

  repliesDelivered(count: number): void {
    if (count > 0) this.delivered.inc(count);
  }

  emailFallback(outcome: FallbackResult['outcome']): void {
    this.emailFallbacks.inc({ outcome });
  }
}
