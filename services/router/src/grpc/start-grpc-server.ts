import type { INestApplication } from '@nestjs/common';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { grpcLoaderOptions, protoFiles, routerV1 } from '@switchboard/contracts';
import { grpcMicroserviceOptions } from '@switchboard/grpc-kit';

/** Serves the agent presence and offer API on gRPC next to HTTP, with health and reflection. */
export async function startGrpcServer(
  app: INestApplication,
  host: string,
  port: number,
): Promise<void> {
  app.connectMicroservice<MicroserviceOptions>(
    grpcMicroserviceOptions({
      url: `${host}:${port}`,
      packages: [routerV1.protobufPackage],
      protoPaths: [protoFiles.routerV1],
      loader: grpcLoaderOptions,
      serviceNames: [`${routerV1.protobufPackage}.AgentService`],
    }),
    { inheritAppConfig: true },
  );
  await app.startAllMicroservices();
}
