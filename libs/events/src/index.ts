export * from './envelopes';
export * from './topics';
export * from './conversation-events';
export * from './routing-decisions';
export * from './conversation-activity';
export * from './message-ids';
