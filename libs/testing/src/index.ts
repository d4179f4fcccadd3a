export * from './expect-eventually';
export * from './service-process';
export * from './test-context';
export * from './platform-stand-in';
export * from './smtp-relay-stand-in';
export * from './imap-server-stand-in';
export { freePort } from '@switchboard/stack';
export * from './chromium';
