import { Inject, Injectable } from '@nestjs/common';
import type { RedisClient } from '@switchboard/redis';
import { REDIS_CLIENT } from '@switchboard/service-kit';
import type { Server } from 'socket.io';
import type { PendingReply } from '../outbound/reply-mailbox.store';
import { toAgentMessageEvent, type VisitorPush } from '../outbound/visitor-push';
import type { VisitorSession } from '../sessions/visitor-session.store';
import { CHAT_LIMITS, type ChatLimits } from '../shared/tokens';

/** One room per thread; tenant ids cannot contain ":", so rooms of two tenants never meet. */
export function threadRoom(tenantId: string, threadKey: string): string {
  return `thread:${tenantId}:${threadKey}`;
}

/**
 * Pushes to a thread's room. The socket.io Redis adapter relays the broadcast to every replica,
 * so the one holding the visitor's socket delivers it. Best effort by design: the reply is
 * already in the mailbox, and the visitor's ack is what counts as delivery.
 */
@Injectable()
export class SocketRoomPush implements VisitorPush {
  private io: Server | undefined;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    @Inject(CHAT_LIMITS) private readonly limits: ChatLimits,
  ) {}

  attach(io: Server): void {
    this.io = io;
  }

  pushReplies(tenantId: string, threadKey: string, replies: readonly PendingReply[]): void {
    const room = this.io?.to(threadRoom(tenantId, threadKey));
    for (const reply of replies) room?.emit('agent:message', toAgentMessageEvent(reply));
  }

  /**
   * Typing indicators are ephemeral: they go to Redis pub/sub (channel
   * `<prefix>chat:visitor-activity`) for agent UIs, never to Kafka, where they would outlive
   * their meaning and crowd the conversation's partition.
   */
  async publishVisitorTyping(session: VisitorSession, isTyping: boolean): Promise<void> {
    await this.redis.publish(
      `${this.limits.redisKeyPrefix}chat:visitor-activity`,
      JSON.stringify({
        tenantId: session.tenantId,
        threadKey: session.threadKey,
        visitorId: session.visitorId,
        isTyping,
        at: new Date().toISOString(),
      }),
    );
  }
}
