export * from './grpc-error.filter';
export * from './grpc-errors';
export * from './grpc-server';
export * from './jwt-authenticator';
