import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { type Observable, throwError } from 'rxjs';
import { isGrpcStatusError, RequestError, toGrpcStatusError } from './grpc-errors';

export interface UnexpectedErrorLogger {
  error(obj: object, msg?: string): void;
}

/**
 * Answers every failed gRPC call with a proper status code: request errors keep theirs, anything
 * unexpected is logged and becomes INTERNAL (never a stack trace to the client).
 */
@Catch()
export class GrpcErrorFilter implements RpcExceptionFilter<unknown> {
  constructor(private readonly logger?: UnexpectedErrorLogger) {}

  catch(exception: unknown): Observable<never> {
    if (!(exception instanceof RequestError) && !isGrpcStatusError(exception)) {
      this.logger?.error({ err: exception }, 'unexpected error in gRPC handler');
    }
    return throwError(() => toGrpcStatusError(exception));
  }
}
