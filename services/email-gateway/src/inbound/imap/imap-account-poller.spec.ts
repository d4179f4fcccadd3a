import { reconnectDelayMs } from './imap-account-poller';

describe('reconnectDelayMs', () => {
  it('doubles from the base per consecutive failure and stops at the cap', () => {
    expect(
      [1, 2, 3, 4, 5, 6, 40].map((failures) => reconnectDelayMs(failures, 1_000, 10_000)),
    ).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000]);
  });
});
