import {
  BackgroundWork,
  DeadlineExceededError,
  sleepUnlessAborted,
  withDeadline,
} from './deadline.util';

describe('withDeadline', () => {
  it('passes through a result that arrives in time', async () => {
    await expect(withDeadline(Promise.resolve(7), 1_000, 'op')).resolves.toBe(7);
  });

  it('passes through a failure that arrives in time', async () => {
    await expect(withDeadline(Promise.reject(new Error('no')), 1_000, 'op')).rejects.toThrow('no');
  });

  it('rejects with DeadlineExceededError when the operation is too slow', async () => {
    const never = new Promise<never>(() => undefined);
    await expect(withDeadline(never, 10, 'connecting')).rejects.toEqual(
      new DeadlineExceededError('connecting', 10),
    );
  });
});

describe('BackgroundWork', () => {
  it('waits for tracked work, including failures, to settle', async () => {
    const background = new BackgroundWork();
    const order: string[] = [];
    background.track(
      new Promise((resolve) => setTimeout(resolve, 20)).then(() => order.push('ok')),
    );
    background.track(Promise.reject(new Error('ignored')));
    await background.settle();
    order.push('settled');
    expect(order).toEqual(['ok', 'settled']);
  });
});

describe('sleepUnlessAborted', () => {
  it('sleeps when not aborted', async () => {
    await expect(sleepUnlessAborted(5, new AbortController().signal)).resolves.toBeUndefined();
  });

  it('rejects promptly on abort', async () => {
    const controller = new AbortController();
    const sleeping = sleepUnlessAborted(60_000, controller.signal);
    controller.abort();
    await expect(sleeping).rejects.toThrow('aborted');
  });

  it('rejects at once when already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(sleepUnlessAborted(60_000, controller.signal)).rejects.toThrow('aborted');
  });
});
