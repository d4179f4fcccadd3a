import type { INestApplication } from '@nestjs/common';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { conversationV1, grpcLoaderOptions, protoFiles } from '@switchboard/contracts';
import { grpcMicroserviceOptions } from '@switchboard/grpc-kit';

/** Serves the agent API on gRPC next to HTTP, with standard health and reflection. */
export async function startGrpcServer(
  app: INestApplication,
  host: string,
  port: number,
): Promise<void> {
  app.connectMicroservice<MicroserviceOptions>(
    grpcMicroserviceOptions({
      url: `${host}:${port}`,
      packages: [conversationV1.protobufPackage],
      protoPaths: [protoFiles.conversationV1],
      loader: grpcLoaderOptions,
      serviceNames: [`${conversationV1.protobufPackage}.ConversationService`],
    }),
    { inheritAppConfig: true },
  );
  await app.startAllMicroservices();
}
