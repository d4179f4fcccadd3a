import * as path from 'node:path';

/**
 * The proto/ folder at the repository root. Both src/ and dist/ sit two levels below
 * libs/contracts, so this resolves the same from ts sources (tests, tsx) and compiled code.
 */
export const protoRoot = path.resolve(__dirname, '../../../proto');

/** Import roots for loading the .proto files at runtime (well-known types come with protobufjs). */
export const protoIncludeDirs: readonly string[] = [protoRoot];

/** Absolute paths of the .proto files, keyed like the namespaces exported from this package. */
export const protoFiles = {
  commonV1: path.join(protoRoot, 'switchboard/common/v1/common.proto'),
  conversationV1: path.join(protoRoot, 'switchboard/conversation/v1/conversation_service.proto'),
  routerV1: path.join(protoRoot, 'switchboard/router/v1/agent_service.proto'),
  routerAdminV1: path.join(protoRoot, 'switchboard/router/v1/routing_admin_service.proto'),
} as const;

export type ProtoFile = keyof typeof protoFiles;

/**
 * @grpc/proto-loader options (NestJS `loader`, reflection) under which runtime-loaded messages
 * have the shapes of the generated types: camelCase keys, int64 as string, numeric enums, and
 * scalars and repeated fields present even when empty. Unset message fields arrive as `null`
 * rather than `undefined`, so test them with `== null` or `?.`. google.protobuf.Timestamp maps to
 * Date through a protobufjs wrapper that the generated modules register when imported.
 */
export const grpcLoaderOptions = {
  keepCase: false,
  longs: String,
  enums: Number,
  defaults: true,
  arrays: true,
  includeDirs: [...protoIncludeDirs],
};
