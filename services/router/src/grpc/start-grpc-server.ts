import type { INestApplication } from '@nestjs/common';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { grpcLoaderOptions, protoFiles, routerAdminV1, routerV1 } from '@switchboard/contracts';
import { grpcMicroserviceOptions } from '@switchboard/grpc-kit';

/**
 * Serves the agent presence and offer API and routing administration on gRPC next to HTTP, with
 * health and reflection. Both services are in the package switchboard.router.v1.
 */
export async function startGrpcServer(
  app: INestApplication,
  host: string,
  port: number,
): Promise<void> {
  app.connectMicroservice<MicroserviceOptions>(
    grpcMicroserviceOptions({
      url: `${host}:${port}`,
      packages: [routerV1.protobufPackage],
      protoPaths: [protoFiles.routerV1, protoFiles.routerAdminV1],
      loader: grpcLoaderOptions,
      serviceNames: [
        `${routerV1.protobufPackage}.AgentService`,
        `${routerAdminV1.protobufPackage}.${routerAdminV1.ROUTING_ADMIN_SERVICE_NAME}`,
      ],
    }),
    { inheritAppConfig: true },
  );
  await app.startAllMicroservices();
}
