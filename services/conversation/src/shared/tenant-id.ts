declare const tenantIdBrand: unique symbol;

/**
 * A tenant id that came from a trusted source (a verified token, a validated envelope).
 * Every repository method takes one, so a query cannot forget its tenant, and a plain string
 * from a request body cannot be passed by mistake.
 */
export type TenantId = string & { readonly [tenantIdBrand]: true };

export function asTenantId(value: string): TenantId {
  if (value.length === 0) throw new Error('tenant id must not be empty');
  return value as TenantId;
}
