import type { InboundMessage } from '@switchboard/events';
import { asTenantId, type TenantId } from '../shared/tenant-id';

const MAX_TEXT_LENGTH = 256_000;

/** A validated inbound message, ready for ingestion. Envelope validation happened in decodeEnvelope. */
export class IngestInboundMessageCommand {
  private constructor(
    readonly tenantId: TenantId,
    readonly message: InboundMessage,
  ) {}

  static fromEnvelope(message: InboundMessage): IngestInboundMessageCommand {
    if (message.text.length > MAX_TEXT_LENGTH) {
      throw new InvalidInboundMessageError(`text is longer than ${MAX_TEXT_LENGTH} characters`);
    }
    if (message.kind !== undefined && message.kind !== 'message') {
      // Reactions, edits and deletes change an earlier message rather than adding one.
      if (!message.targetExternalMessageId) {
        throw new InvalidInboundMessageError(
          `targetExternalMessageId is required for kind "${message.kind}"`,
        );
      }
      if (message.kind === 'reaction' && message.reactionEmoji === undefined) {
        throw new InvalidInboundMessageError('reactionEmoji is required for kind "reaction"');
      }
    }
    return new IngestInboundMessageCommand(asTenantId(message.tenantId), message);
  }

  /** Reactions, edits and deletes: they refer to an earlier message. */
  get changeKind(): 'reaction' | 'edit' | 'delete' | undefined {
    const kind = this.message.kind;
    return kind === 'reaction' || kind === 'edit' || kind === 'delete' ? kind : undefined;
  }
}

/** The message can never be ingested: it goes to the dead-letter topic with this reason. */
export class InvalidInboundMessageError extends Error {
  override readonly name = 'InvalidInboundMessageError';
}
