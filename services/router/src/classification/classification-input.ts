import type { ConversationEvent } from '@switchboard/events';
import type { ClassificationInput } from './classify';

/**
 * What the router classifies from a conversation event: the snapshot's subject, and the routing
 * data the conversation service puts on `created` and inbound `message_added` events (`text`,
 * `senderAddress`, `meta.<key>` from the inbound envelope's metadata).
 */
export function classificationInputOf(event: ConversationEvent): ClassificationInput {
  const { conversation, data } = event;
  return {
    channel: conversation.channel,
    contactId: conversation.contactId,
    priority: conversation.priority,
    subject: conversation.subject,
    text: data['text'],
    senderAddress: data['senderAddress'],
    // The chat gateway sends the pre-chat choice as metadata `preChatTopic`; `prechat.topic` is
    // the spelling of earlier chat gateway builds.
    preChatTopic: data['meta.preChatTopic'] ?? data['meta.prechat.topic'],
  };
}
