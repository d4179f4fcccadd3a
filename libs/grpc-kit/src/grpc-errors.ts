import { status as GrpcStatus } from '@grpc/grpc-js';

/**
 * Errors that use cases throw and the gRPC layer turns into status codes. Use cases stay free of
 * gRPC; transports map these once, here.
 */
export abstract class RequestError extends Error {
  abstract readonly grpcCode: GrpcStatus;
}

/** The caller did not prove who they are (missing, malformed, expired or forged token). */
export class UnauthenticatedError extends RequestError {
  readonly grpcCode = GrpcStatus.UNAUTHENTICATED;
  override readonly name = 'UnauthenticatedError';
}

/** The thing does not exist for this caller; also what another tenant's ids get. */
export class NotFoundError extends RequestError {
  readonly grpcCode = GrpcStatus.NOT_FOUND;
  override readonly name = 'NotFoundError';
}

/** A request field is missing or malformed; the message names the field. */
export class InvalidArgumentError extends RequestError {
  readonly grpcCode = GrpcStatus.INVALID_ARGUMENT;
  override readonly name = 'InvalidArgumentError';
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

/** The caller is known but their role does not allow this (e.g. an agent watching the tenant). */
export class PermissionDeniedError extends RequestError {
  readonly grpcCode = GrpcStatus.PERMISSION_DENIED;
  override readonly name = 'PermissionDeniedError';
}

/** The request is valid but the resource is not in a state that allows it. */
export class FailedPreconditionError extends RequestError {
  readonly grpcCode = GrpcStatus.FAILED_PRECONDITION;
  override readonly name = 'FailedPreconditionError';
}

/** E.g. a resume position beyond the newest event. */
export class OutOfRangeError extends RequestError {
  readonly grpcCode = GrpcStatus.OUT_OF_RANGE;
  override readonly name = 'OutOfRangeError';
}

/** Temporarily unable (a dependency is down); the client may retry. */
export class UnavailableError extends RequestError {
  readonly grpcCode = GrpcStatus.UNAVAILABLE;
  override readonly name = 'UnavailableError';
}

/** What grpc-js needs to answer with a status: `code` and `details`. */
export interface GrpcStatusError {
  code: GrpcStatus;
  details: string;
  message: string;
}

/** Known request errors keep their code and message; anything else becomes INTERNAL without details. */
export function toGrpcStatusError(error: unknown): GrpcStatusError {
  if (error instanceof RequestError) {
    return { code: error.grpcCode, details: error.message, message: error.message };
  }
  if (isGrpcStatusError(error)) return error;
  return { code: GrpcStatus.INTERNAL, details: 'internal error', message: 'internal error' };
}

/** Already mapped (e.g. by a handler further in): passed through unchanged. */
export function isGrpcStatusError(error: unknown): error is GrpcStatusError {
  if (typeof error !== 'object' || error === null) return false;
  const { code, details } = error as { code?: unknown; details?: unknown };
  return typeof code === 'number' && Number.isInteger(code) && typeof details === 'string';
}
