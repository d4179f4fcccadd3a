export type AgentStatus = 'available' | 'busy' | 'away' | 'offline';
export type SelectionStrategy = 'longest_idle' | 'least_loaded';

export interface QueueSettings {
  queueId: string;
  /** The channel whose capacity a task of this queue uses (chat, email, whatsapp …). */
  channel: string;
  strategy: SelectionStrategy;
  offerTtlMs: number;
  autoAccept: boolean;
}

export interface AgentRoutingProfile {
  agentId: string;
  /** Concurrent tasks per channel, e.g. { chat: 3, email: 5 }. */
  capacities: Record<string, number>;
  /** Skill name → proficiency 1–10. */
  skills: Record<string, number>;
  languages: string[];
  /** Queues whose required skills the agent meets (derived from configuration). */
  queues: string[];
}

export interface RoutingTask {
  taskId: string;
  queueId: string;
  channel: string;
  /** Capacity units the task uses on its channel; 1 unless the queue weighs work. */
  units: number;
  /** Language the agent must speak; empty for any. */
  language: string;
  /** Skills the task needs beyond the queue's own, with minimum proficiency. */
  requiredSkills: Record<string, number>;
  priority: number;
  enqueuedAt: number;
}

export type OfferOutcome =
  | { kind: 'offered'; agentId: string; expiresAt: number }
  | { kind: 'assigned'; agentId: string }
  | { kind: 'no_agent' }
  | { kind: 'task_not_waiting'; state: string };

/** A task taken back from an agent (offline, declined, timed out) and returned to its queue. */
export interface ReleasedTask {
  agentId: string;
  taskId: string;
  queueId: string;
}
