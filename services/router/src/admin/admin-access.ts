import {
  isSupervisor,
  isSystem,
  PermissionDeniedError,
  type Principal,
} from '@switchboard/grpc-kit';
import { type TenantId, toTenantId } from '../configuration/tenant-id';

/** The caller's tenant, if the caller is a supervisor of it. */
export function requireSupervisor(principal: Principal, action: string): TenantId {
  if (!isSupervisor(principal)) {
    throw new PermissionDeniedError(`${action} needs the supervisor role`);
  }
  return toTenantId(principal.tenantId);
}

/** Supervisors and Switchboard services acting for the tenant (the chat gateway). */
export function requireSupervisorOrSystem(principal: Principal, action: string): TenantId {
  if (!isSupervisor(principal) && !isSystem(principal)) {
    throw new PermissionDeniedError(`${action} needs the supervisor or system role`);
  }
  return toTenantId(principal.tenantId);
}
