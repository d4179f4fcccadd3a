/** Where a waiting conversation stands, as the router estimates it. */
export interface WaitEstimate {
  state: 'waiting' | 'offered' | 'assigned' | 'not_queued';
  /** 1 = next to be offered; 0 unless waiting. */
  position: number;
  /** 0 when unknown. */
  expectedWaitSeconds: number;
  /** False outside business hours or with no eligible agent online: the widget goes offline. */
  agentsOnline: boolean;
}

/** The router's wait estimates, behind a small interface. */
export interface WaitEstimates {
  /**
   * Undefined when the router does not know the conversation; rejects when it cannot answer
   * (unreachable, refused).
   */
  estimate(tenantId: string, conversationId: string): Promise<WaitEstimate | undefined>;
}
