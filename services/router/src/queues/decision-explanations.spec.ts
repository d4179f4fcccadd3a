import type { RoutingDecision } from '../assignment/dispatch-queue.usecase';
import { DecisionFactory } from '../routing/decision-factory';

/** How an offer's candidates reach the decision event (see OFFER_TASK for how they are found). */
describe('candidates in offer decisions', () => {
  const factory = new DecisionFactory({ next: () => 'decision-1' });
  const decision = (outcome: RoutingDecision['outcome']): RoutingDecision => ({
    tenantId: 'acme',
    queueId: 'support',
    taskId: 'c1',
    outcome,
    decidedAt: Date.parse('2026-01-05T09:00:00Z'),
  });

  it('keeps every passed-over reason and explains the chosen agent by the strategy', () => {
    const event = factory.fromDispatch(
      decision({
        kind: 'offered',
        agentId: 'dora',
        expiresAt: Date.parse('2026-01-05T09:00:30Z'),
        via: 'ready_index',
        passedOver: 1,
        candidates: [
          { agentId: 'ann', chosen: false, reason: 'does not speak de' },
          { agentId: 'dora', chosen: true, reason: '' },
        ],
      }),
      'least_loaded',
    );
    const chosenBecause =
      'least loaded ready agent with the skills, language and free capacity, who had not declined it';
    expect(event.explanation).toEqual({
      reason: chosenBecause,
      rules: [],
      strategy: 'least_loaded',
      candidates: [
        { agentId: 'ann', chosen: false, reason: 'does not speak de' },
        { agentId: 'dora', chosen: true, reason: chosenBecause },
      ],
    });
  });

  it('says how many more agents were passed over than the capped list shows', () => {
    const event = factory.fromDispatch(
      decision({
        kind: 'assigned',
        agentId: 'zoe',
        via: 'ready_index',
        passedOver: 42,
        candidates: [
          {
            agentId: 'a1',
            chosen: false,
            reason: 'no free chat capacity (3 of 3 in use, needs 1)',
          },
          { agentId: 'zoe', chosen: true, reason: '' },
        ],
      }),
      'longest_idle',
    );
    expect(event.explanation.reason).toMatch(/; passed over 42 agents first \(1 listed\)$/);
  });

  it('records the previous-agent preference as the rule that chose', () => {
    const event = factory.fromDispatch(
      decision({
        kind: 'assigned',
        agentId: 'prev',
        via: 'previous_agent',
        passedOver: 0,
        candidates: [{ agentId: 'prev', chosen: true, reason: '' }],
      }),
      'longest_idle',
    );
    expect(event.explanation).toMatchObject({
      reason: 'handled this conversation last and is available with free capacity',
      rules: ['previous agent preferred'],
    });
  });
});
