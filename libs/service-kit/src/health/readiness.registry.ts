import { Injectable } from '@nestjs/common';

/** Answers whether one dependency is usable right now; must resolve quickly and never throw. */
export type ReadinessProbe = () => Promise<boolean>;

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, 'up' | 'down'>;
  shuttingDown: boolean;
}

/**
 * The dependencies a service needs to do its work (Kafka, MongoDB, Redis) register a probe here;
 * /health/ready is green only while every probe answers and the service is not shutting down.
 */
@Injectable()
export class ReadinessRegistry {
  private readonly probes = new Map<string, ReadinessProbe>();
  private shuttingDown = false;

  register(name: string, probe: ReadinessProbe): void {
    if (this.probes.has(name)) throw new Error(`readiness probe "${name}" is already registered`);
    this.probes.set(name, probe);
  }

  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  async evaluate(): Promise<ReadinessReport> {
    const entries = await Promise.all(
      [...this.probes].map(async ([name, probe]) => {
        const up = await probe().catch(() => false);
        return [name, up ? 'up' : 'down'] as const;
      }),
    );
    const checks = Object.fromEntries(entries);
    const allUp = entries.every(([, state]) => state === 'up');
    return { ready: allUp && !this.shuttingDown, checks, shuttingDown: this.shuttingDown };
  }
}

/**
 * Wraps a probe so that concurrent and rapid callers share one answer for `ttlMs`: readiness is
 * polled by Kubernetes, load balancers and people, and each poll must not open new connections.
 */
export function cachedProbe(probe: ReadinessProbe, ttlMs = 500): ReadinessProbe {
  let inFlight: Promise<boolean> | undefined;
  let last: { value: boolean; at: number } | undefined;
  return async () => {
    if (last && Date.now() - last.at < ttlMs) return last.value;
    inFlight ??= probe()
      .catch(() => false)
      .then((value) => {
        last = { value, at: Date.now() };
        inFlight = undefined;
        return value;
      });
    return inFlight;
  };
}
