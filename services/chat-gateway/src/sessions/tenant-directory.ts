import type { ChatTenant, ChatTenantsFile } from '../config/chat-tenants.config';

/** The configured tenants by id. */
export class TenantDirectory {
  private readonly byId: Map<string, ChatTenant>;

  constructor(file: ChatTenantsFile) {
    this.byId = new Map(file.tenants.map((tenant) => [tenant.id, tenant]));
  }

  find(tenantId: string): ChatTenant | undefined {
    return this.byId.get(tenantId);
  }

  /** Origins are compared exactly: a lookalike host or another scheme is another origin. */
  allowsOrigin(tenant: ChatTenant, origin: string | undefined): boolean {
    return origin !== undefined && tenant.allowedOrigins.includes(origin);
  }
}
