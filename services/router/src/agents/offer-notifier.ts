import type { RoutingDecisionEvent } from '@switchboard/events';
import type { RedisClient } from '@switchboard/redis';
import type { DecisionPublisher } from '../routing/routing-ports';

export interface OfferNotice {
  tenantId: string;
  agentId: string;
  conversationId: string;
  queueId: string;
  expiresAt: string;
  reason: string;
}

type Listener = (notice: OfferNotice) => void;

/**
 * Delivers offers to the agent's stream whichever router replica holds it: the replica that made
 * the offer publishes it on Redis pub/sub, and every replica forwards it to the streams it holds
 * for that agent. Pub/sub may drop a notice while a connection is down, so a stream also starts
 * with every offer still open (read from the assignment store), and offers expire by themselves.
 */
export class OfferNotifier implements DecisionPublisher {
  private readonly listeners = new Map<string, Set<Listener>>();
  private subscribed = false;

  constructor(
    private readonly publisherClient: RedisClient,
    private readonly subscriberClient: RedisClient,
    private readonly channelPrefix: string,
  ) {}

  private channelOf(tenantId: string, agentId: string): string {
    return `${this.channelPrefix}offers:${tenantId}:${agentId}`;
  }

  async start(): Promise<void> {
    if (this.subscribed) return;
    this.subscriberClient.on('pmessage', (_pattern: string, channel: string, payload: string) => {
      const listeners = this.listeners.get(channel);
      if (!listeners) return;
      const notice = JSON.parse(payload) as OfferNotice;
      for (const listener of listeners) listener(notice);
    });
    await this.subscriberClient.psubscribe(`${this.channelPrefix}offers:*`);
    this.subscribed = true;
  }

  /** Registers a stream; returns the function that unregisters it. */
  listen(tenantId: string, agentId: string, listener: Listener): () => void {
    const channel = this.channelOf(tenantId, agentId);
    const listeners = this.listeners.get(channel) ?? new Set<Listener>();
    listeners.add(listener);
    this.listeners.set(channel, listeners);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) this.listeners.delete(channel);
    };
  }

  streamCount(): number {
    let count = 0;
    for (const listeners of this.listeners.values()) count += listeners.size;
    return count;
  }

  async publish(decisions: readonly RoutingDecisionEvent[]): Promise<void> {
    for (const decision of decisions) {
      if (decision.type !== 'offered' || !decision.agentId || !decision.offerExpiresAt) continue;
      const notice: OfferNotice = {
        tenantId: decision.tenantId,
        agentId: decision.agentId,
        conversationId: decision.conversationId,
        queueId: decision.queueId,
        expiresAt: decision.offerExpiresAt,
        reason: decision.explanation.reason,
      };
      await this.publisherClient.publish(
        this.channelOf(decision.tenantId, decision.agentId),
        JSON.stringify(notice),
      );
    }
  }
}

/** Sends decisions to several places (Kafka for the system, pub/sub for live agent streams). */
export class FanOutDecisionPublisher implements DecisionPublisher {
  constructor(private readonly publishers: readonly DecisionPublisher[]) {}

  async publish(decisions: readonly RoutingDecisionEvent[]): Promise<void> {
    for (const publisher of this.publishers) await publisher.publish(decisions);
  }
}
