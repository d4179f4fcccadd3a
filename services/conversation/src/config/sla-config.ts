import { parseConfigDocument, readConfigFile, z } from '@switchboard/config';
import { PRIORITIES } from '@switchboard/events';
import {
  type ChannelFamily,
  DEFAULT_SLA_TARGETS,
  type SlaRule,
  type SlaTargets,
} from '../sla/sla-policy';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `90s`, `15m`, `4h`, `2d`: durations as people write them in a config file. */
const durationSchema = z
  .string({ error: 'must be a duration like 90s, 15m, 4h or 2d' })
  .regex(/^[1-9]\d{0,6}[smhd]$/, { error: 'must be a duration like 90s, 15m, 4h or 2d' })
  .transform((text) => Number(text.slice(0, -1)) * UNIT_MS[text.slice(-1) as keyof typeof UNIT_MS]);

const targetsSchema = z
  .strictObject({
    firstResponse: durationSchema.optional(),
    nextResponse: durationSchema.optional(),
    resolution: durationSchema.optional(),
  })
  .transform((targets): Partial<SlaTargets> => {
    const result: Partial<SlaTargets> = {};
    if (targets.firstResponse !== undefined) result.firstResponseMs = targets.firstResponse;
    if (targets.nextResponse !== undefined) result.nextResponseMs = targets.nextResponse;
    if (targets.resolution !== undefined) result.resolutionMs = targets.resolution;
    return result;
  });

const byPrioritySchema = z.partialRecord(z.enum(PRIORITIES), targetsSchema);

const idSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/, {
  error: 'must be 1-200 letters, digits, ".", "_", ":" or "-"',
});

const slaFileSchema = z.strictObject({
  /** Replaces the built-in defaults per channel family, target by target. */
  defaults: z
    .strictObject({
      email: targetsSchema.optional(),
      chat: targetsSchema.optional(),
      social: targetsSchema.optional(),
    })
    .optional(),
  tenants: z
    .record(
      idSchema,
      z.strictObject({
        targets: targetsSchema.optional(),
        priorities: byPrioritySchema.optional(),
        queues: z
          .record(
            idSchema,
            z.strictObject({
              targets: targetsSchema.optional(),
              priorities: byPrioritySchema.optional(),
            }),
          )
          .optional(),
      }),
    )
    .optional(),
});

export interface SlaConfiguration {
  defaults: Record<ChannelFamily, SlaTargets>;
  rules: SlaRule[];
}

export const BUILT_IN_SLA_CONFIGURATION: SlaConfiguration = {
  defaults: DEFAULT_SLA_TARGETS,
  rules: [],
};

/** Reads and validates the SLA file; a problem stops the service with one line naming the path. */
export function loadSlaConfigFile(path: string, variable = 'SLA_CONFIG_FILE'): SlaConfiguration {
  return parseSlaConfig(readConfigFile(variable, path), `${variable} ${path}`);
}

export function parseSlaConfig(text: string, source = 'SLA_CONFIG_FILE'): SlaConfiguration {
  const file = parseConfigDocument(slaFileSchema, text, source);
  const defaults = { ...DEFAULT_SLA_TARGETS };
  for (const family of ['email', 'chat', 'social'] as const) {
    defaults[family] = { ...DEFAULT_SLA_TARGETS[family], ...file.defaults?.[family] };
  }
  const rules: SlaRule[] = [];
  for (const [tenantId, tenant] of Object.entries(file.tenants ?? {})) {
    if (tenant.targets) rules.push({ tenantId, targets: tenant.targets });
    for (const [priority, targets] of prioritiesOf(tenant.priorities)) {
      rules.push({ tenantId, priority, targets });
    }
    for (const [queueId, queue] of Object.entries(tenant.queues ?? {})) {
      if (queue.targets) rules.push({ tenantId, queueId, targets: queue.targets });
      for (const [priority, targets] of prioritiesOf(queue.priorities)) {
        rules.push({ tenantId, queueId, priority, targets });
      }
    }
  }
  return { defaults, rules };
}

function prioritiesOf(
  byPriority: z.infer<typeof byPrioritySchema> | undefined,
): Array<[(typeof PRIORITIES)[number], Partial<SlaTargets>]> {
  return PRIORITIES.flatMap((priority) => {
    const targets = byPriority?.[priority];
    return targets
      ? [[priority, targets] as [(typeof PRIORITIES)[number], Partial<SlaTargets>]]
      : [];
  });
}
