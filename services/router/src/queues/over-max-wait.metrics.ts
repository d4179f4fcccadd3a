import { Gauge, type MetricsRegistry } from '@switchboard/metrics';

/** Where the tick reports how many tasks of a queue wait longer than its maxWaitSeconds. */
export interface OverMaxWaitReporter {
  report(tenantId: string, queueId: string, tasks: number): void;
}

export const OVER_MAX_WAIT_METRIC = 'switchboard_router_tasks_over_max_wait';

/**
 * A gauge read from the shared Redis state, so every replica reports the same number: alert on
 * max() over replicas, not sum() (deploy/k8s/router-alerts.yaml).
 */
export class PrometheusOverMaxWaitReporter implements OverMaxWaitReporter {
  private readonly gauge: Gauge<'tenant' | 'queue'>;

  constructor(registry: MetricsRegistry) {
    const existing = registry.getSingleMetric(OVER_MAX_WAIT_METRIC);
    this.gauge =
      (existing as Gauge<'tenant' | 'queue'> | undefined) ??
      new Gauge({
        name: OVER_MAX_WAIT_METRIC,
        help: 'Waiting tasks of the queue that have waited longer than its maxWaitSeconds (0 outside business hours)',
        labelNames: ['tenant', 'queue'],
        registers: [registry],
      });
  }

  report(tenantId: string, queueId: string, tasks: number): void {
    this.gauge.set({ tenant: tenantId, queue: queueId }, tasks);
  }
}
