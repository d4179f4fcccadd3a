import { Counter, Histogram, type Registry } from 'prom-client';
import type { ConsumeOutcome } from './retry-policy.util';

/** What the producer and consumer report; a no-op when the client was given no registry. */
export interface KafkaMetrics {
  messagesProduced(topic: string, count: number): void;
  messageConsumed(topic: string, groupId: string, outcome: ConsumeOutcome): void;
  handlerDuration(topic: string, groupId: string, seconds: number): void;
}

export const KAFKA_METRIC_NAMES = {
  produced: 'switchboard_kafka_messages_produced_total',
  consumed: 'switchboard_kafka_messages_consumed_total',
  handlerDuration: 'switchboard_kafka_handler_duration_seconds',
} as const;

const noopMetrics: KafkaMetrics = {
  messagesProduced: () => undefined,
  messageConsumed: () => undefined,
  handlerDuration: () => undefined,
};

// Several clients (or a test re-creating one) may share a registry; prom-client throws when a
// name is registered twice, so an existing metric of the right kind is reused.
function counterOn<Label extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly Label[],
): Counter<Label> {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Counter) {
    return existing;
  }
  if (existing !== undefined) {
    throw new Error(`metric ${name} is already registered with another type`);
  }
  return new Counter({ name, help, labelNames, registers: [registry] });
}

function histogramOn<Label extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly Label[],
  buckets: number[],
): Histogram<Label> {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Histogram) {
    return existing;
  }
  if (existing !== undefined) {
    throw new Error(`metric ${name} is already registered with another type`);
  }
  return new Histogram({ name, help, labelNames, buckets, registers: [registry] });
}

export function createKafkaMetrics(registry: Registry | undefined): KafkaMetrics {
  if (registry === undefined) {
    return noopMetrics;
  }
  const produced = counterOn(
    registry,
    KAFKA_METRIC_NAMES.produced,
    'Messages acknowledged by Kafka',
    ['topic'],
  );
  const consumed = counterOn(
    registry,
    KAFKA_METRIC_NAMES.consumed,
    'Messages consumed, by outcome: ok (first attempt), retried (succeeded after retries), dead_lettered',
    ['topic', 'group', 'outcome'],
  );
  const handlerDuration = histogramOn(
    registry,
    KAFKA_METRIC_NAMES.handlerDuration,
    'Duration of one message handler attempt',
    ['topic', 'group'],
    [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  return {
    messagesProduced: (topic, count) => produced.inc({ topic }, count),
    messageConsumed: (topic, group, outcome) => consumed.inc({ topic, group, outcome }),
    handlerDuration: (topic, group, seconds) => handlerDuration.observe({ topic, group }, seconds),
  };
}
