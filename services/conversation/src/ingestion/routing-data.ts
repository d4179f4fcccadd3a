import type { InboundMessage } from '@switchboard/events';
import { normaliseIdentityValue } from '../persistence/contact.repository';

/** Enough of the message for the router to classify; longer texts add little and weigh on Kafka. */
export const ROUTING_TEXT_MAX_CHARS = 2_000;

/**
 * What the router classifies from, carried on `created` and inbound `message_added` events (the
 * keys are documented on conversationEventSchema): the message's text, the customer's address on
 * the channel and the gateway's metadata (the chat pre-chat topic, email flags …) as `meta.<key>`.
 */
export function routingDataOf(message: InboundMessage): Record<string, string> {
  const data: Record<string, string> = {
    text: truncate(message.text.trim(), ROUTING_TEXT_MAX_CHARS),
    senderAddress: normaliseIdentityValue(message.sender.kind, message.sender.value),
  };
  for (const [key, value] of Object.entries(message.metadata)) data[`meta.${key}`] = value;
  return data;
}

/** Cuts at a code point boundary, so a surrogate pair is never split in half. */
function truncate(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const cut = text.slice(0, maxChars);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}
