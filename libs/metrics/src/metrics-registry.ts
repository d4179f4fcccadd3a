import { collectDefaultMetrics, Registry } from 'prom-client';

export type MetricsRegistry = Registry;

/**
 * One registry per service process, labelled with the service name, with Node's default process
 * metrics (event loop lag, heap, GC) collected under the `switchboard_` prefix.
 */
export function createMetricsRegistry(serviceName: string): MetricsRegistry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: serviceName });
  collectDefaultMetrics({ register: registry, prefix: 'switchboard_' });
  return registry;
}

export async function renderMetrics(
  registry: MetricsRegistry,
): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}
