import type { KafkaClient, MessageProducer } from '@switchboard/kafka';
import type { Connection } from 'mongoose';
import { MergeContactsUseCase, UnmergeContactsUseCase } from '../contacts/merge-contacts.usecase';
import { ResolveContactUseCase } from '../contacts/resolve-contact.usecase';
import {
  ListContactMergesUseCase,
  SupervisorMergeContactsUseCase,
  SupervisorUnmergeContactsUseCase,
} from '../contacts/supervise-contact-merges.usecases';
import { IngestInboundMessageUseCase } from '../ingestion/ingest-inbound-message.usecase';
import { ApplyCustomerChangeUseCase } from '../ingestion/apply-customer-change.usecase';
import { MongoContactRepository } from '../persistence/contact.repository';
import { MongoConversationRepository } from '../persistence/conversation.repository';
import { conversationModels, type ConversationModels } from '../persistence/conversation.schemas';
import { MongoEventLogRepository } from '../persistence/event-log.repository';
import { MongoMessageRepository } from '../persistence/message.repository';
import type { Clock } from '../shared/clock';
import { KeyedMutex } from '../shared/keyed-mutex';
import { LeaseLock } from '../persistence/lease-lock';
import { SlaPolicy } from '../sla/sla-policy';
import type { SlaConfiguration } from '../config/sla-config';
import { ConversationChanger } from './conversation-change.service';
import type { ConversationTopics } from './conversation-topics';
import { EventOutbox } from './event-outbox';
import { AddNoteUseCase } from '../agent-api/add-note.usecase';
import {
  AssignConversationUseCase,
  ReopenConversationUseCase,
  ResolveConversationUseCase,
  SetPriorityUseCase,
  SetTagsUseCase,
  SnoozeConversationUseCase,
} from '../agent-api/change-conversation.usecases';
import {
  GetContactHistoryUseCase,
  GetConversationUseCase,
  ListConversationsUseCase,
  ListMessagesUseCase,
} from '../agent-api/read-conversations.usecases';
import { SendMessageUseCase } from '../agent-api/send-message.usecase';
import { CheckSlaBreachesUseCase } from '../sla/check-sla-breaches.usecase';
import { ApplyRoutingDecisionUseCase } from '../routing/apply-routing-decision.usecase';
import { RecordDeliveryStatusUseCase } from '../delivery/record-delivery-status.usecase';
import { WakeSnoozedConversationsUseCase } from '../snooze/wake-snoozed-conversations.usecase';
import { EventFeedHub } from '../watch/event-feed.hub';
import { SetActivityUseCase } from '../watch/set-activity.usecase';
import { KafkaActivityPublisher } from '../watch/activity-publisher';
import { RelayActivityUseCase } from '../watch/relay-activity.usecase';
import { randomId } from '../shared/ids';
import { WatchEventsUseCase } from '../watch/watch-events.usecase';
import {
  type ConversationEventPublisher,
  KafkaConversationEventPublisher,
} from './event-publisher';

export interface ConversationCoreDependencies {
  connection: Connection;
  kafka: KafkaClient;
  topics: ConversationTopics;
  clock: Clock;
  /** SLA defaults and overrides (SLA_CONFIG_FILE); the built-in defaults when unset. */
  sla?: SlaConfiguration;
  /** Identifies this process on the activity topic; random per core by default. */
  replicaId?: string;
  /** How often a tenant's log is polled for watchers while no local write pokes it. */
  feedPollIntervalMs?: number;
  /** Replaces repositories, e.g. with crash-simulating wrappers in tests. */
  wrap?: {
    conversations?: (repository: MongoConversationRepository) => MongoConversationRepository;
    messages?: (repository: MongoMessageRepository) => MongoMessageRepository;
    eventLog?: (repository: MongoEventLogRepository) => MongoEventLogRepository;
  };
}

/** The service's use cases and their adapters, wired once; transports only call into this. */
export function createConversationCore(deps: ConversationCoreDependencies) {
  const models: ConversationModels = conversationModels(deps.connection);
  const conversations = (deps.wrap?.conversations ?? ((r) => r))(
    new MongoConversationRepository(models),
  );
  const messages = (deps.wrap?.messages ?? ((r) => r))(new MongoMessageRepository(models));
  const eventLog = (deps.wrap?.eventLog ?? ((r) => r))(new MongoEventLogRepository(models));
  const contacts = new MongoContactRepository(models);
  const producer: MessageProducer = deps.kafka.createProducer();
  const publisher: ConversationEventPublisher = new KafkaConversationEventPublisher(
    producer,
    deps.topics,
  );
  const feed = new EventFeedHub(eventLog, { pollIntervalMs: deps.feedPollIntervalMs ?? 250 });
  // One per process: every write to a conversation document goes through it (see KeyedMutex).
  const conversationWrites = new KeyedMutex();
  const outbox = new EventOutbox(conversations, eventLog, messages, publisher, conversationWrites, [
    feed,
  ]);
  const changer = new ConversationChanger(conversations, outbox, deps.clock, conversationWrites);
  const sla = new SlaPolicy(deps.sla?.rules ?? [], deps.sla?.defaults);
  const replicaId = deps.replicaId ?? randomId('replica');
  const activityTopic = deps.topics.conversationActivity;
  const resolveContact = new ResolveContactUseCase(contacts);
  // Merges and unmerges of a tenant run one at a time, across replicas (see MergeContactsUseCase).
  const contactChanges = new LeaseLock(models.leases);
  const mergeContacts = new MergeContactsUseCase(contacts, deps.clock, contactChanges);
  const unmergeContacts = new UnmergeContactsUseCase(contacts, deps.clock, contactChanges);
  return {
    models,
    producer,
    publisher,
    repositories: { conversations, messages, eventLog, contacts },
    outbox,
    changer,
    sla,
    clock: deps.clock,
    ingestInboundMessage: new IngestInboundMessageUseCase(
      resolveContact,
      conversations,
      messages,
      changer,
      sla,
      deps.clock,
      new ApplyCustomerChangeUseCase(conversations, messages, changer),
    ),
    feed,
    getConversation: new GetConversationUseCase(conversations),
    listConversations: new ListConversationsUseCase(conversations, contacts),
    getContactHistory: new GetContactHistoryUseCase(conversations, contacts),
    listMessages: new ListMessagesUseCase(conversations, messages),
    sendMessage: new SendMessageUseCase(conversations, messages, changer, deps.clock),
    addNote: new AddNoteUseCase(conversations, messages, changer, deps.clock),
    setTags: new SetTagsUseCase(conversations, changer),
    setPriority: new SetPriorityUseCase(conversations, changer, sla),
    assign: new AssignConversationUseCase(conversations, changer, sla),
    resolve: new ResolveConversationUseCase(conversations, changer),
    reopen: new ReopenConversationUseCase(conversations, changer),
    snooze: new SnoozeConversationUseCase(conversations, changer),
    applyRoutingDecision: new ApplyRoutingDecisionUseCase(changer, sla),
    recordDeliveryStatus: new RecordDeliveryStatusUseCase(messages, changer),
    checkSlaBreaches: new CheckSlaBreachesUseCase(conversations, changer, deps.clock),
    wakeSnoozed: new WakeSnoozedConversationsUseCase(conversations, changer, deps.clock),
    watchEvents: new WatchEventsUseCase(conversations, eventLog, feed),
    replicaId,
    setActivity: new SetActivityUseCase(
      conversations,
      feed,
      deps.clock,
      activityTopic
        ? { publisher: new KafkaActivityPublisher(producer, activityTopic), origin: replicaId }
        : undefined,
    ),
    relayActivity: new RelayActivityUseCase(conversations, feed, deps.clock, replicaId),
    mergeContacts,
    unmergeContacts,
    supervisorMergeContacts: new SupervisorMergeContactsUseCase(contacts, mergeContacts),
    supervisorUnmergeContacts: new SupervisorUnmergeContactsUseCase(contacts, unmergeContacts),
    listContactMerges: new ListContactMergesUseCase(contacts),
  };
}
export type ConversationCore = ReturnType<typeof createConversationCore>;
