import { deterministicId, inboundMessageIdOf } from './message-ids';

describe('the inbound message id contract', () => {
  it('is the id the conversation service has always stored (pinned values)', () => {
    // Computed by the conversation service before the derivation moved here; stored messages
    // carry these ids, so any change to the derivation breaks this test first.
    expect(inboundMessageIdOf('acme', 'chat', 'visitor-1:c_1')).toBe(
      'msg_C709V6hYU5nUr8lzT7FG1Gah',
    );
    expect(inboundMessageIdOf('acme', 'email', '<a@b>')).toBe('msg_ENe6KnOgkbmTG2yeU2nMU5yN');
  });

  it('separates tenants, channels and parts that only concatenate alike', () => {
    const ids = new Set([
      inboundMessageIdOf('acme', 'chat', 'x'),
      inboundMessageIdOf('acme2', 'chat', 'x'),
      inboundMessageIdOf('acme', 'whatsapp', 'x'),
      deterministicId('msg', 'ab', 'c'),
      deterministicId('msg', 'a', 'bc'),
    ]);
    expect(ids.size).toBe(5);
  });
});
