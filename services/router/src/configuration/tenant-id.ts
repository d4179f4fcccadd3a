/**
 * A tenant id that has been checked. Repositories take it by type, so no query can be written
 * without one, and it is safe inside Redis hash tags and key names.
 */
export type TenantId = string & { readonly __brand: 'TenantId' };

const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function toTenantId(value: string): TenantId {
  if (!TENANT_ID.test(value)) throw new Error(`invalid tenant id ${JSON.stringify(value)}`);
  return value as TenantId;
}
