export * from './expect-eventually';
export * from './service-process';
export * from './test-context';
export * from './platform-stand-in';
