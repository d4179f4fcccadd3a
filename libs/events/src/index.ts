export * from './envelopes';
export * from './topics';
