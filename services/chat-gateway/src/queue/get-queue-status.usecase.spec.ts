import type { Logger } from 'pino';
import type { ThreadConversationStore } from '../history/thread-conversation.store';
import type { VisitorSession } from '../sessions/visitor-session.store';
import { GetQueueStatusUseCase } from './get-queue-status.usecase';
import type { WaitEstimate, WaitEstimates } from './wait-estimates';

describe('GetQueueStatusUseCase', () => {
  const session: VisitorSession = {
    tenantId: 't1',
    visitorId: 'v_1',
    threadKey: 'visitor:v_1',
    verified: false,
  };
  const waiting: WaitEstimate = {
    state: 'waiting',
    position: 2,
    expectedWaitSeconds: 60,
    agentsOnline: true,
  };

  function setup(conversationId: string | undefined) {
    const conversations: ThreadConversationStore = {
      remember: async () => undefined,
      find: async () => conversationId,
    };
    const estimate = jest.fn<ReturnType<WaitEstimates['estimate']>, [string, string]>();
    const logger = { warn: jest.fn(), info: jest.fn() };
    const sut = new GetQueueStatusUseCase(conversations, { estimate }, logger as unknown as Logger);
    return { sut, estimate, logger };
  }

  it('asks nothing while the thread has no known conversation', async () => {
    const { sut, estimate } = setup(undefined);
    expect(await sut.execute(session)).toBeUndefined();
    expect(estimate).not.toHaveBeenCalled();
  });

  it('asks for the visitor’s tenant and conversation', async () => {
    const { sut, estimate } = setup('cv_1');
    estimate.mockResolvedValue(waiting);
    expect(await sut.execute(session)).toEqual(waiting);
    expect(estimate).toHaveBeenCalledWith('t1', 'cv_1');
  });

  it('turns a router outage into no estimate, logged once until it recovers', async () => {
    const { sut, estimate, logger } = setup('cv_1');
    estimate.mockRejectedValue(new Error('14 UNAVAILABLE: connection refused'));
    for (let poll = 0; poll < 5; poll += 1) expect(await sut.execute(session)).toBeUndefined();
    expect(logger.warn).toHaveBeenCalledTimes(1);
    estimate.mockResolvedValue(waiting);
    expect(await sut.execute(session)).toEqual(waiting);
    expect(logger.info).toHaveBeenCalledTimes(1);
    estimate.mockRejectedValue(new Error('down again'));
    await sut.execute(session);
    expect(logger.warn).toHaveBeenCalledTimes(2);
  });
});
