import { DuplicateKeyError, translateDuplicateKey } from '@switchboard/mongo';
import { type Connection, type Model, Schema } from 'mongoose';
import { tenantRoutingConfigSchema, type TenantRoutingConfig } from './routing-config.schema';
import { type TenantId, toTenantId } from './tenant-id';

/** Who wrote a version: the YAML bootstrap file at start-up, or a supervisor through the API. */
export type ConfigSource = 'bootstrap' | 'api';

/** One stored version of a tenant's routing configuration. */
export interface RoutingConfigVersion {
  tenantId: TenantId;
  /** 1, 2, 3 … per tenant, without gaps. */
  version: number;
  config: TenantRoutingConfig;
  source: ConfigSource;
  updatedAt: Date;
}

/** The stored version is not the one the caller read (someone else changed it meanwhile). */
export class ConfigVersionConflictError extends Error {
  constructor(
    readonly expectedVersion: number,
    readonly currentVersion: number,
  ) {
    super(
      `the routing configuration is at version ${currentVersion}, not ${expectedVersion}; read it again and reapply your change`,
    );
    this.name = 'ConfigVersionConflictError';
  }
}

/**
 * Every version is its own document; the whole validated configuration is kept as JSON text,
 * because skill names may contain "." (FerretDB, like older MongoDB, rejects such keys) and so
 * that new configuration fields are stored without a change here.
 */
interface VersionDocument {
  tenantId: string;
  version: number;
  config: string;
  source: ConfigSource;
  updatedAt: Date;
}

const versionSchema = new Schema<VersionDocument>(
  {
    tenantId: { type: String, required: true },
    version: { type: Number, required: true },
    config: { type: String, required: true },
    source: { type: String, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
// The claim of a version: two writers of the same version cannot both insert it. This holds on
// FerretDB too, which loses concurrent read-modify-write updates of one document.
versionSchema.index({ tenantId: 1, version: -1 }, { unique: true });

const MODEL_NAME = 'RoutingConfigVersion';
/** Attempts of an unconditional write (no expected version) racing other writers. */
const MAX_WRITE_ATTEMPTS = 20;

/**
 * Durable routing configuration in the router's own database, always scoped to one tenant and
 * versioned: a change inserts version N+1 under a unique (tenant, version) index, so optimistic
 * concurrency cannot lose a write, and the history stays readable.
 */
export class RoutingConfigRepository {
  private readonly versions: Model<VersionDocument>;
  /** Parsed configurations by tenant and version, so an unchanged head is not parsed again. */
  private readonly parsed = new Map<TenantId, RoutingConfigVersion>();

  constructor(connection: Connection) {
    // Several components of one process may build a repository on the same connection.
    this.versions =
      (connection.models[MODEL_NAME] as Model<VersionDocument> | undefined) ??
      connection.model<VersionDocument>(MODEL_NAME, versionSchema, 'routing_config_versions');
  }

  async ensureIndexes(): Promise<void> {
    await this.versions.createCollection().catch(() => undefined);
    await this.versions.syncIndexes();
  }

  /** The newest version, or undefined when the tenant has never been configured. */
  async head(tenantId: TenantId): Promise<RoutingConfigVersion | undefined> {
    const [latest] = await this.latest(tenantId, 1);
    return latest;
  }

  /** The newest `count` versions, newest first. */
  async latest(tenantId: TenantId, count: number): Promise<RoutingConfigVersion[]> {
    const documents = await this.versions
      .find({ tenantId }, { tenantId: 1, version: 1, source: 1, updatedAt: 1 })
      .sort({ version: -1 })
      .limit(count)
      .lean()
      .exec();
    const result: RoutingConfigVersion[] = [];
    for (const document of documents) result.push(await this.load(tenantId, document.version));
    return result;
  }

  /** The newest version written from the bootstrap file, if any. */
  async latestFromBootstrap(tenantId: TenantId): Promise<RoutingConfigVersion | undefined> {
    const document = await this.versions
      .findOne({ tenantId, source: 'bootstrap' }, { version: 1 })
      .sort({ version: -1 })
      .lean()
      .exec();
    return document ? this.load(tenantId, document.version) : undefined;
  }

  /**
   * Stores `config` as the next version. With `expectedVersion` the head must be that version
   * (0: no version yet), else ConfigVersionConflictError; without, the write goes on top of
   * whatever is stored.
   */
  async saveVersion(
    tenantId: TenantId,
    config: TenantRoutingConfig,
    options: { expectedVersion?: number; source: ConfigSource; now: Date },
  ): Promise<RoutingConfigVersion> {
    for (let attempt = 1; ; attempt += 1) {
      const current = (await this.headVersion(tenantId)) ?? 0;
      if (options.expectedVersion !== undefined && current !== options.expectedVersion) {
        throw new ConfigVersionConflictError(options.expectedVersion, current);
      }
      const document: VersionDocument = {
        tenantId,
        version: current + 1,
        config: JSON.stringify({ ...config, tenant: tenantId }),
        source: options.source,
        updatedAt: options.now,
      };
      try {
        await translateDuplicateKey(
          () => this.versions.collection.insertOne({ ...document }),
          'routing_config_versions',
        );
        return this.fromDocument(document);
      } catch (error) {
        if (!(error instanceof DuplicateKeyError)) throw error;
        // Another writer took this version first.
        if (options.expectedVersion !== undefined) {
          throw new ConfigVersionConflictError(options.expectedVersion, current + 1);
        }
        if (attempt >= MAX_WRITE_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * The tenant's current configuration; an empty one (no queues, no agents) when it has none, so
   * callers can treat "never configured" like "configured with nothing".
   */
  async loadTenantConfig(tenantId: TenantId): Promise<TenantRoutingConfig> {
    return (
      (await this.head(tenantId))?.config ?? tenantRoutingConfigSchema.parse({ tenant: tenantId })
    );
  }

  async listTenants(): Promise<TenantId[]> {
    const tenants = await this.versions.distinct('tenantId').exec();
    return tenants.sort().map((tenantId) => toTenantId(tenantId));
  }

  private async headVersion(tenantId: TenantId): Promise<number | undefined> {
    const document = await this.versions
      .findOne({ tenantId }, { version: 1 })
      .sort({ version: -1 })
      .lean()
      .exec();
    return document?.version;
  }

  private async load(tenantId: TenantId, version: number): Promise<RoutingConfigVersion> {
    const cached = this.parsed.get(tenantId);
    if (cached?.version === version) return cached;
    const document = await this.versions.findOne({ tenantId, version }).lean().exec();
    if (!document) throw new Error(`routing configuration ${tenantId} v${version} vanished`);
    const loaded = this.fromDocument(document);
    const newest = this.parsed.get(tenantId);
    if (!newest || newest.version < version) this.parsed.set(tenantId, loaded);
    return loaded;
  }

  private fromDocument(document: VersionDocument): RoutingConfigVersion {
    return {
      tenantId: toTenantId(document.tenantId),
      version: document.version,
      // Validated again: a version stored by an older release gets today's defaults.
      config: tenantRoutingConfigSchema.parse(JSON.parse(document.config)),
      source: document.source,
      updatedAt: new Date(document.updatedAt),
    };
  }
}
