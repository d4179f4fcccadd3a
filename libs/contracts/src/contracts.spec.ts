import { existsSync } from 'node:fs';
import { type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { commonV1, conversationV1, grpcLoaderOptions, protoFiles, routerV1 } from './index';

const conversation: conversationV1.Conversation = {
  id: 'conv-1',
  tenantId: 'tenant-1',
  channel: commonV1.Channel.WHATSAPP,
  threadKey: 'wa:+4915112345678',
  subject: 'Where is my order?',
  status: conversationV1.ConversationStatus.OPEN,
  priority: commonV1.Priority.HIGH,
  tags: ['shipping', 'vip'],
  contactId: 'contact-1',
  queueId: 'queue-1',
  assigneeId: '',
  createdAt: new Date('2024-05-06T07:08:09.123Z'),
  updatedAt: new Date('2024-05-06T07:10:00.000Z'),
  lastSequence: '7',
  // Every message field set: proto-loader yields null for unset ones, the generated codec undefined.
  snoozedUntil: new Date('2024-05-07T09:00:00.000Z'),
  sla: {
    firstResponseDueAt: new Date('2024-05-06T08:08:09.123Z'),
    nextResponseDueAt: new Date('2024-05-06T08:10:00.000Z'),
    resolutionDueAt: new Date('2024-05-07T07:08:09.123Z'),
    firstResponseAt: new Date('2024-05-06T07:20:00.000Z'),
    resolvedAt: new Date('2024-05-06T07:30:00.000Z'),
    breached: ['next_response'],
  },
};

function loadService(file: string, service: string): ServiceDefinition {
  const definition = loadSync(file, grpcLoaderOptions);
  return definition[service] as ServiceDefinition;
}

describe('contracts', () => {
  it('round-trips a Conversation through the generated codec, dates included', () => {
    const bytes = conversationV1.Conversation.encode(conversation).finish();

    const decoded = conversationV1.Conversation.decode(bytes);

    expect(decoded).toEqual(conversation);
    expect(decoded.createdAt).toBeInstanceOf(Date);
  });

  it('keeps int64 values above 2^53 exact as strings', () => {
    const event: conversationV1.ConversationEvent = {
      sequence: '9007199254740993',
      conversationId: 'conv-1',
      conversationSequence: '3',
      occurredAt: new Date('2024-05-06T07:10:00.000Z'),
      statusChanged: {
        previousStatus: conversationV1.ConversationStatus.OPEN,
        status: conversationV1.ConversationStatus.RESOLVED,
      },
    };

    const decoded = conversationV1.ConversationEvent.decode(
      conversationV1.ConversationEvent.encode(event).finish(),
    );

    expect(decoded).toEqual(event);
  });

  it('points at .proto files that exist', () => {
    for (const file of Object.values(protoFiles)) {
      expect(existsSync(file)).toBe(true);
    }
  });

  it('loads every .proto with @grpc/proto-loader', () => {
    const definition = loadSync(Object.values(protoFiles), grpcLoaderOptions);

    expect(Object.keys(definition)).toEqual(
      expect.arrayContaining([
        'switchboard.common.v1.PageRequest',
        'switchboard.conversation.v1.ConversationService',
        'switchboard.router.v1.AgentService',
      ]),
    );
  });

  it('serves the same method paths as the generated grpc-js definitions', () => {
    const loaded = loadService(protoFiles.routerV1, 'switchboard.router.v1.AgentService');

    expect(loaded['SetPresence']?.path).toBe(routerV1.AgentServiceService.setPresence.path);
    expect(loaded['Heartbeat']?.path).toBe(routerV1.AgentServiceService.heartbeat.path);
  });

  // NestJS (de)serialises with proto-loader; clients may use the generated codec. Both must agree.
  it('exchanges messages with proto-loader in the shape of the generated types', () => {
    const getConversation = loadService(
      protoFiles.conversationV1,
      'switchboard.conversation.v1.ConversationService',
    )['GetConversation'];
    if (!getConversation) throw new Error('GetConversation not loaded');
    const response: conversationV1.GetConversationResponse = { conversation };

    const fromGenerated = getConversation.responseDeserialize(
      Buffer.from(conversationV1.GetConversationResponse.encode(response).finish()),
    ) as conversationV1.GetConversationResponse;
    const fromLoader = conversationV1.GetConversationResponse.decode(
      getConversation.responseSerialize(response),
    );

    expect(fromGenerated).toEqual(response);
    expect(fromGenerated.conversation?.createdAt).toBeInstanceOf(Date);
    expect(fromLoader).toEqual(response);
  });
});
