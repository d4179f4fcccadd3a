import { Counter, createMetricsRegistry, renderMetrics } from './index';

describe('createMetricsRegistry', () => {
  it('exposes default process metrics and custom metrics labelled with the service', async () => {
    const registry = createMetricsRegistry('router');
    new Counter({ name: 'switchboard_test_total', help: 'test', registers: [registry] }).inc(2);

    const { contentType, body } = await renderMetrics(registry);

    expect(contentType).toContain('text/plain');
    expect(body).toContain('switchboard_test_total{service="router"} 2');
    expect(body).toMatch(/switchboard_process_cpu_user_seconds_total\{service="router"\}/);
  });

  it('keeps registries of different services apart', async () => {
    const first = createMetricsRegistry('a');
    const second = createMetricsRegistry('b');
    new Counter({ name: 'switchboard_only_in_a_total', help: 'test', registers: [first] }).inc();
    expect((await renderMetrics(second)).body).not.toContain('switchboard_only_in_a_total');
  });
});
