import { decodeEventData, encodeEventData } from './event-data-codec';

describe('event data keys as stored', () => {
  it('escapes dots, dollars and percent signs, and restores them exactly', () => {
    const data = { 'meta.prechat.topic': 'billing', $where: 'x', '100%': 'y', messageId: 'm1' };
    const stored = encodeEventData(data);
    expect(Object.keys(stored).some((key) => key.includes('.') || key.includes('$'))).toBe(false);
    expect(stored['messageId']).toBe('m1');
    expect(decodeEventData(stored)).toEqual(data);
    expect(decodeEventData(undefined)).toEqual({});
  });
});
