import {
  decodeEnvelope,
  encodeEnvelope,
  EnvelopeValidationError,
  inboundMessageSchema,
  threadPartitionKey,
} from './index';

const inbound = {
  schemaVersion: 1,
  tenantId: 'acme',
  messageId: 'msg-1',
  channel: 'email',
  externalMessageId: '<abc@mail.example>',
  threadKey: '<root@mail.example>',
  sender: { kind: 'email', value: 'ada@example.com', displayName: 'Ada', verified: true },
  subject: 'Order 1234',
  text: 'Where is my parcel?',
  receivedAt: '2026-11-25T10:00:00.000Z',
};

describe('envelopes', () => {
  it('round-trips an inbound message and fills defaults', () => {
    const decoded = decodeEnvelope(
      'inbound message',
      inboundMessageSchema,
      encodeEnvelope(inbound),
    );
    expect(decoded).toMatchObject({ ...inbound, attachments: [], inReplyTo: [], metadata: {} });
    expect(decoded.flags).toEqual({
      autoReply: false,
      bounce: false,
      bulk: false,
      ownMessageEcho: false,
    });
  });

  it('names the fields that are wrong', () => {
    const bad = encodeEnvelope({ ...inbound, channel: 'fax', tenantId: '' });
    expect(() => decodeEnvelope('inbound message', inboundMessageSchema, bad)).toThrow(
      EnvelopeValidationError,
    );
    expect(() => decodeEnvelope('inbound message', inboundMessageSchema, bad)).toThrow(
      /tenantId: .*; channel: /,
    );
  });

  it('rejects non-JSON and empty values with a clear reason', () => {
    expect(() => decodeEnvelope('inbound message', inboundMessageSchema, Buffer.from('{'))).toThrow(
      'invalid inbound message: value is not JSON',
    );
    expect(() => decodeEnvelope('inbound message', inboundMessageSchema, null)).toThrow(
      'empty message value',
    );
  });

  it('keys everything of one thread together and tenants apart', () => {
    expect(threadPartitionKey('acme', 'email', 't1')).toBe('acme|email|t1');
    expect(threadPartitionKey('acme', 'email', 't1')).not.toBe(
      threadPartitionKey('beta', 'email', 't1'),
    );
  });
});
