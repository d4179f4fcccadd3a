import { z } from 'zod';
import {
  catchAllSchema,
  checkQueueDynamics,
  membershipLevels,
  queueDynamicsFields,
} from '../queues/queue-dynamics.schema';
import {
  classificationConfigSchema,
  classificationReferenceIssues,
} from '../classification/classification-config.schema';

/**
 * The routing configuration a tenant bootstraps from YAML (and later edits through the admin API):
 * skills, queues with the skills they require, and agents with their skills, languages and
 * per-channel capacity. Stored durably in the router's MongoDB database; Redis holds only the hot
 * projection of it (see ProjectRoutingStateUseCase).
 */

const identifier = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, {
  error: 'must be 1–100 letters, digits, ".", "_" or "-", starting with a letter or digit',
});

const proficiency = z
  .number()
  .int({ error: 'proficiency must be a whole number' })
  .min(1, { error: 'proficiency must be between 1 and 10' })
  .max(10, { error: 'proficiency must be between 1 and 10' });

export const queueConfigSchema = z.object({
  id: identifier,
  name: z.string().optional(),
  channel: z.enum(['email', 'chat', 'messenger', 'instagram', 'whatsapp', 'telegram', 'x']),
  /** Skill → minimum proficiency an agent needs to serve this queue. */
  requiredSkills: z.record(identifier, proficiency).default({}),
  strategy: z.enum(['longest_idle', 'least_loaded']).default('longest_idle'),
  offerTimeoutSeconds: z.number().positive().max(3600).default(30),
  autoAccept: z.boolean().default(false),
  ...queueDynamicsFields,
});
export type QueueConfig = z.infer<typeof queueConfigSchema>;

export const agentConfigSchema = z.object({
  id: identifier,
  name: z.string().optional(),
  skills: z.record(identifier, proficiency).default({}),
  /** ISO 639-1 codes the agent can answer in. */
  languages: z
    .array(z.string().regex(/^[a-z]{2}$/, { error: 'must be an ISO 639-1 code' }))
    .default(['en']),
  /** Concurrent conversations per channel, e.g. { chat: 3, email: 5 }. */
  capacity: z.record(z.string(), z.number().int().min(0).max(100)).default({}),
});
export type AgentConfig = z.infer<typeof agentConfigSchema>;

/** Which queue a conversation goes to: its channel's queue, else the default queue. */
export const queueSelectionSchema = z.object({
  byChannel: z.record(z.string(), identifier).default({}),
  defaultQueue: identifier.optional(),
});
export type QueueSelection = z.infer<typeof queueSelectionSchema>;

export const tenantRoutingConfigSchema = z
  .object({
    tenant: identifier,
    skills: z.array(identifier).default([]),
    queues: z.array(queueConfigSchema).default([]),
    agents: z.array(agentConfigSchema).default([]),
    queueSelection: queueSelectionSchema.default({ byChannel: {} }),
    /** Where every queue's tasks finally widen to after waiting this long. */
    catchAll: catchAllSchema.optional(),
    /** Topics, topic and priority rules and the text classifier (see classification/). */
    classification: classificationConfigSchema.optional(),
  })
  .superRefine((config, context) => {
    const known = new Set(config.skills);
    const check = (skills: Record<string, number>, path: (string | number)[]) => {
      for (const skill of Object.keys(skills)) {
        if (!known.has(skill)) {
          context.addIssue({
            code: 'custom',
            path: [...path, skill],
            message: `unknown skill "${skill}"`,
          });
        }
      }
    };
    config.queues.forEach((queue, index) =>
      check(queue.requiredSkills, ['queues', index, 'requiredSkills']),
    );
    config.agents.forEach((agent, index) => check(agent.skills, ['agents', index, 'skills']));
    checkQueueDynamics(config, context);
    if (config.classification) {
      const references = {
        queueIds: new Set(config.queues.map((queue) => queue.id)),
        skills: known,
      };
      for (const issue of classificationReferenceIssues(config.classification, references)) {
        context.addIssue({
          code: 'custom',
          path: ['classification', ...issue.path],
          message: issue.message,
        });
      }
    }
    const queueIds = new Set(config.queues.map((queue) => queue.id));
    const selected = [
      ...Object.entries(config.queueSelection.byChannel).map(([channel, queue]) => ({
        path: ['queueSelection', 'byChannel', channel],
        queue,
      })),
      ...(config.queueSelection.defaultQueue
        ? [{ path: ['queueSelection', 'defaultQueue'], queue: config.queueSelection.defaultQueue }]
        : []),
    ];
    for (const { path, queue } of selected) {
      if (!queueIds.has(queue))
        context.addIssue({ code: 'custom', path, message: `unknown queue "${queue}"` });
    }
    for (const [kind, items] of [
      ['queues', config.queues],
      ['agents', config.agents],
    ] as const) {
      const seen = new Set<string>();
      items.forEach((item, index) => {
        if (seen.has(item.id)) {
          context.addIssue({
            code: 'custom',
            path: [kind, index, 'id'],
            message: `duplicate id "${item.id}"`,
          });
        }
        seen.add(item.id);
      });
    }
  });
export type TenantRoutingConfig = z.infer<typeof tenantRoutingConfigSchema>;

export const routingConfigFileSchema = z.object({
  tenants: z.array(tenantRoutingConfigSchema).min(1, { error: 'must list at least one tenant' }),
});
export type RoutingConfigFile = z.infer<typeof routingConfigFileSchema>;

/** Parses a YAML/JSON document into a validated configuration, with errors that name the path. */
export function parseRoutingConfig(document: unknown): RoutingConfigFile {
  const result = routingConfigFileSchema.safeParse(document);
  if (result.success) return result.data;
  const details = result.error.issues
    .slice(0, 10)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  throw new RoutingConfigError(details);
}

export class RoutingConfigError extends Error {
  constructor(details: string) {
    super(`invalid routing configuration: ${details}`);
    this.name = 'RoutingConfigError';
  }
}

/**
 * Queues an agent may serve: those whose every required skill the agent has at the minimum level,
 * relaxed as far as the queue's overflow steps go (a task checks its own, less relaxed, levels).
 */
export function eligibleQueues(
  agent: Pick<AgentConfig, 'skills'>,
  queues: readonly QueueConfig[],
): string[] {
  return queues
    .filter((queue) =>
      Object.entries(membershipLevels(queue)).every(
        ([skill, minimum]) => (agent.skills[skill] ?? 0) >= minimum,
      ),
    )
    .map((queue) => queue.id);
}
