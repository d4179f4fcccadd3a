import type { Server } from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { type GrpcOptions, Transport } from '@nestjs/microservices';
import { HealthImplementation } from 'grpc-health-check';

export interface GrpcServerOptions {
  /** `host:port` to listen on, e.g. `0.0.0.0:50051`. */
  url: string;
  /** Proto packages served, e.g. `switchboard.conversation.v1`. */
  packages: string[];
  protoPaths: string[];
  /** @grpc/proto-loader options (use @switchboard/contracts' grpcLoaderOptions). */
  loader: NonNullable<GrpcOptions['options']['loader']>;
  /** Fully qualified service names reported SERVING by the standard health service. */
  serviceNames: string[];
  /** Receives the health service, e.g. to report NOT_SERVING while shutting down. */
  onHealth?: (health: HealthImplementation) => void;
}

/**
 * NestJS gRPC microservice options that also register the standard health service
 * (grpc.health.v1.Health) and server reflection, so grpcurl and Kubernetes probes work.
 */
export function grpcMicroserviceOptions(options: GrpcServerOptions): GrpcOptions {
  return {
    transport: Transport.GRPC,
    options: {
      url: options.url,
      package: options.packages,
      protoPath: options.protoPaths,
      loader: options.loader,
      gracefulShutdown: true,
      onLoadPackageDefinition: (definition: PackageDefinition, server: Server) => {
        const health = new HealthImplementation({
          '': 'SERVING',
          ...Object.fromEntries(options.serviceNames.map((name) => [name, 'SERVING' as const])),
        });
        health.addToServer(server);
        new ReflectionService(definition).addToServer(server);
        options.onHealth?.(health);
      },
    },
  };
}
