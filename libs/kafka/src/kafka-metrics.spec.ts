import { Counter, Registry } from 'prom-client';
import { KAFKA_METRIC_NAMES, createKafkaMetrics } from './kafka-metrics';

describe('createKafkaMetrics', () => {
  it('records produced, consumed and handler duration with their labels', async () => {
    const registry = new Registry();
    const metrics = createKafkaMetrics(registry);
    metrics.messagesProduced('inbound', 3);
    metrics.messageConsumed('inbound', 'conversation', 'ok');
    metrics.messageConsumed('inbound', 'conversation', 'dead_lettered');
    metrics.handlerDuration('inbound', 'conversation', 0.02);

    const text = await registry.metrics();
    expect(text).toContain(`${KAFKA_METRIC_NAMES.produced}{topic="inbound"} 3`);
    expect(text).toContain(
      `${KAFKA_METRIC_NAMES.consumed}{topic="inbound",group="conversation",outcome="ok"} 1`,
    );
    expect(text).toContain(
      `${KAFKA_METRIC_NAMES.consumed}{topic="inbound",group="conversation",outcome="dead_lettered"} 1`,
    );
    expect(text).toContain(
      `${KAFKA_METRIC_NAMES.handlerDuration}_count{topic="inbound",group="conversation"} 1`,
    );
  });

  it('reuses the metrics already on a registry instead of throwing', async () => {
    const registry = new Registry();
    createKafkaMetrics(registry).messagesProduced('t', 1);
    expect(() => createKafkaMetrics(registry)).not.toThrow();
    createKafkaMetrics(registry).messagesProduced('t', 2);
    expect(await registry.metrics()).toContain(`${KAFKA_METRIC_NAMES.produced}{topic="t"} 3`);
  });

  it('refuses a name taken by a metric of another type', () => {
    const registry = new Registry();
    new Counter({ name: KAFKA_METRIC_NAMES.handlerDuration, help: 'clash', registers: [registry] });
    expect(() => createKafkaMetrics(registry)).toThrow(/another type/);
  });

  it('is a no-op without a registry', () => {
    const metrics = createKafkaMetrics(undefined);
    expect(() => metrics.messagesProduced('t', 1)).not.toThrow();
  });
});
