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

/** An agent the offer looked at: the chosen one has an empty reason. */
export interface CandidateVerdict {
  agentId: string;
  chosen: boolean;
  /** Why the agent was passed over ("no free chat capacity (3 of 3 in use, needs 1)", …). */
  reason: string;
}

/** How the chosen agent was found: as the conversation's previous agent, or from the ready index. */
export type SelectionPath = 'previous_agent' | 'ready_index';

export interface CandidateReport {
  /** At most the store's candidate limit, in the order looked at; the chosen one is last. */
  candidates: CandidateVerdict[];
  /** How many agents were passed over in all (the list may be shorter). */
  passedOver: number;
}

export type OfferOutcome =
  | ({ kind: 'offered'; agentId: string; expiresAt: number; via: SelectionPath } & CandidateReport)
  | ({ kind: 'assigned'; agentId: string; via: SelectionPath } & CandidateReport)
  | ({ kind: 'no_agent' } & CandidateReport)
  | { kind: 'queue_closed' }
  | { kind: 'task_not_waiting'; state: string };

/** One overflow step as the Lua core applies it (see queues/queue-dynamics.ts for the config). */
export type OverflowStep = { afterMs: number } & (
  | { kind: 'relax'; delta: number }
  | { kind: 'widen'; queues: string[] }
  | { kind: 'dropLanguage' }
  | { kind: 'raisePriority'; raiseBy: number }
);

/** A queue's time- and load-dependent behaviour, written to Redis by every maintenance tick. */
export interface QueueDynamics {
  queueId: string;
  /** Outside business hours: tasks wait and are not offered. */
  closed: boolean;
  /** Ordered by afterMs. */
  steps: OverflowStep[];
  /** The queue's required skill levels, when steps relax them (members meet the relaxed ones). */
  relaxableSkills?: Record<string, number>;
  /** Capacity units every task of the queue uses; unset: the task's own. */
  unitsPerTask?: number;
  /** Waiting time one priority step is worth (the aging boost); default 10 minutes. */
  priorityStepMs?: number;
  /** How long after it comes back a conversation prefers the agent who last handled it. */
  preferPreviousMs?: number;
  /** Give back assigned conversations too when their agent goes offline. */
  requeueAssignedOnOffline?: boolean;
  /** Waiting longer than this is reported (tasks over max wait). */
  maxWaitMs?: number;
}

/** An overflow step applied to a waiting task by the maintenance tick. */
export interface AppliedStep {
  taskId: string;
  queueId: string;
  /** 1-based position of the step in the queue's list. */
  step: number;
  kind: OverflowStep['kind'];
  /** relax: total relaxation; widen: queues added; dropLanguage: the dropped language; raisePriority: the new priority. */
  detail: string;
}

/** A task taken back from an agent (offline, declined, timed out) and returned to its queue. */
export interface ReleasedTask {
  agentId: string;
  taskId: string;
  queueId: string;
}
