import { type Connection, Schema } from 'mongoose';
import type { AgentConfig, QueueConfig, TenantRoutingConfig } from './routing-config.schema';
import { type TenantId, toTenantId } from './tenant-id';

// Skills are stored as arrays of pairs, not as maps: skill names may contain "." and FerretDB (like
// older MongoDB) rejects such keys.
interface SkillLevel {
  skill: string;
  level: number;
}
interface ChannelCapacity {
  channel: string;
  units: number;
}

interface ChannelQueue {
  channel: string;
  queueId: string;
}

interface TenantDocument {
  tenantId: string;
  skills: string[];
  channelQueues: ChannelQueue[];
  defaultQueue?: string;
  updatedAt: Date;
}

interface QueueDocument {
  tenantId: string;
  queueId: string;
  name?: string;
  channel: QueueConfig['channel'];
  requiredSkills: SkillLevel[];
  strategy: QueueConfig['strategy'];
  offerTimeoutSeconds: number;
  autoAccept: boolean;
  updatedAt: Date;
}

interface AgentDocument {
  tenantId: string;
  agentId: string;
  name?: string;
  skills: SkillLevel[];
  languages: string[];
  capacity: ChannelCapacity[];
  updatedAt: Date;
}

const skillLevel = new Schema<SkillLevel>({ skill: String, level: Number }, { _id: false });

const tenantSchema = new Schema<TenantDocument>({
  tenantId: { type: String, required: true, unique: true },
  skills: { type: [String], default: [] },
  channelQueues: {
    type: [new Schema<ChannelQueue>({ channel: String, queueId: String }, { _id: false })],
    default: [],
  },
  defaultQueue: String,
  updatedAt: { type: Date, required: true },
});

const queueSchema = new Schema<QueueDocument>({
  tenantId: { type: String, required: true },
  queueId: { type: String, required: true },
  name: String,
  channel: { type: String, required: true },
  requiredSkills: { type: [skillLevel], default: [] },
  strategy: { type: String, required: true },
  offerTimeoutSeconds: { type: Number, required: true },
  autoAccept: { type: Boolean, required: true },
  updatedAt: { type: Date, required: true },
});
queueSchema.index({ tenantId: 1, queueId: 1 }, { unique: true });

const agentSchema = new Schema<AgentDocument>({
  tenantId: { type: String, required: true },
  agentId: { type: String, required: true },
  name: String,
  skills: { type: [skillLevel], default: [] },
  languages: { type: [String], default: [] },
  capacity: {
    type: [new Schema<ChannelCapacity>({ channel: String, units: Number }, { _id: false })],
    default: [],
  },
  updatedAt: { type: Date, required: true },
});
agentSchema.index({ tenantId: 1, agentId: 1 }, { unique: true });

const toPairs = (skills: Record<string, number>): SkillLevel[] =>
  Object.entries(skills).map(([skill, level]) => ({ skill, level }));
const fromPairs = (pairs: SkillLevel[]): Record<string, number> =>
  Object.fromEntries(pairs.map(({ skill, level }) => [skill, level]));

/** Durable routing configuration in the router's own database, always scoped to one tenant. */
export class RoutingConfigRepository {
  private readonly tenants;
  private readonly queues;
  private readonly agents;

  constructor(connection: Connection) {
    this.tenants = connection.model<TenantDocument>(
      'RoutingTenant',
      tenantSchema,
      'routing_tenants',
    );
    this.queues = connection.model<QueueDocument>('RoutingQueue', queueSchema, 'routing_queues');
    this.agents = connection.model<AgentDocument>('RoutingAgent', agentSchema, 'routing_agents');
  }

  async ensureIndexes(): Promise<void> {
    for (const model of [this.tenants, this.queues, this.agents]) {
      await model.createCollection().catch(() => undefined);
      await model.syncIndexes();
    }
  }

  /** Upserts the tenant's skills, queues and agents; entries not listed are left as they are. */
  async upsertTenantConfig(
    tenantId: TenantId,
    config: TenantRoutingConfig,
    now: Date,
  ): Promise<void> {
    await this.tenants
      .updateOne(
        { tenantId },
        {
          $set: {
            updatedAt: now,
            channelQueues: Object.entries(config.queueSelection.byChannel).map(
              ([channel, queueId]) => ({
                channel,
                queueId,
              }),
            ),
            defaultQueue: config.queueSelection.defaultQueue,
          },
          $addToSet: { skills: { $each: config.skills } },
        },
        { upsert: true },
      )
      .exec();
    for (const queue of config.queues) {
      await this.queues
        .updateOne(
          { tenantId, queueId: queue.id },
          {
            $set: {
              name: queue.name,
              channel: queue.channel,
              requiredSkills: toPairs(queue.requiredSkills),
              strategy: queue.strategy,
              offerTimeoutSeconds: queue.offerTimeoutSeconds,
              autoAccept: queue.autoAccept,
              updatedAt: now,
            },
          },
          { upsert: true },
        )
        .exec();
    }
    for (const agent of config.agents) {
      await this.agents
        .updateOne(
          { tenantId, agentId: agent.id },
          {
            $set: {
              name: agent.name,
              skills: toPairs(agent.skills),
              languages: agent.languages,
              capacity: Object.entries(agent.capacity).map(([channel, units]) => ({
                channel,
                units,
              })),
              updatedAt: now,
            },
          },
          { upsert: true },
        )
        .exec();
    }
  }

  async loadTenantConfig(tenantId: TenantId): Promise<TenantRoutingConfig> {
    const [tenant, queues, agents] = await Promise.all([
      this.tenants.findOne({ tenantId }).lean().exec(),
      this.queues.find({ tenantId }).sort({ queueId: 1 }).lean().exec(),
      this.agents.find({ tenantId }).sort({ agentId: 1 }).lean().exec(),
    ]);
    return {
      tenant: tenantId,
      skills: tenant?.skills ?? [],
      queueSelection: {
        byChannel: Object.fromEntries(
          (tenant?.channelQueues ?? []).map(({ channel, queueId }) => [channel, queueId]),
        ),
        defaultQueue: tenant?.defaultQueue ?? undefined,
      },
      queues: queues.map((queue): QueueConfig => ({
        id: queue.queueId,
        name: queue.name ?? undefined,
        channel: queue.channel,
        requiredSkills: fromPairs(queue.requiredSkills),
        strategy: queue.strategy,
        offerTimeoutSeconds: queue.offerTimeoutSeconds,
        autoAccept: queue.autoAccept,
      })),
      agents: agents.map((agent): AgentConfig => ({
        id: agent.agentId,
        name: agent.name ?? undefined,
        skills: fromPairs(agent.skills),
        languages: agent.languages,
        capacity: Object.fromEntries(agent.capacity.map(({ channel, units }) => [channel, units])),
      })),
    };
  }

  async listTenants(): Promise<TenantId[]> {
    const tenants = await this.tenants
      .find({}, { tenantId: 1 })
      .sort({ tenantId: 1 })
      .lean()
      .exec();
    return tenants.map((tenant) => toTenantId(tenant.tenantId));
  }
}
