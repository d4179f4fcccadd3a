// Generated modules are re-exported as namespaces: each proto package defines its own
// `protobufPackage`, `MessageFns` and so on, and versions (v1, v2) must be able to coexist.
export * as commonV1 from './generated/switchboard/common/v1/common';
export * as conversationV1 from './generated/switchboard/conversation/v1/conversation_service';
export * as routerV1 from './generated/switchboard/router/v1/agent_service';
export * as routerAdminV1 from './generated/switchboard/router/v1/routing_admin_service';
export * from './proto-files.util';
