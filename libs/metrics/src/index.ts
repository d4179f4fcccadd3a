export * from './metrics-registry';
export { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
