import { Injectable } from '@nestjs/common';
import type { Server } from 'socket.io';
import type {
  AgentActivityPush,
  AgentActivityPushEvent,
} from '../activity/relay-agent-activity.usecase';
import type { PendingReply } from '../outbound/reply-mailbox.store';
import { toAgentMessageEvent, type VisitorPush } from '../outbound/visitor-push';

/** One room per thread; tenant ids cannot contain ":", so rooms of two tenants never meet. */
export function threadRoom(tenantId: string, threadKey: string): string {
  return `thread:${tenantId}:${threadKey}`;
}

/**
 * Pushes to a thread's room. The socket.io Redis adapter relays the broadcast to every replica,
 * so the one holding the visitor's socket delivers it. Best effort by design: the reply is
 * already in the mailbox, and the visitor's ack is what counts as delivery; agent activity is a
 * passing signal.
 */
@Injectable()
export class SocketRoomPush implements VisitorPush, AgentActivityPush {
  private io: Server | undefined;

  attach(io: Server): void {
    this.io = io;
  }

  pushReplies(tenantId: string, threadKey: string, replies: readonly PendingReply[]): void {
    const room = this.io?.to(threadRoom(tenantId, threadKey));
    for (const reply of replies) room?.emit('agent:message', toAgentMessageEvent(reply));
  }

  pushAgentActivity(tenantId: string, threadKey: string, activity: AgentActivityPushEvent): void {
    this.io?.to(threadRoom(tenantId, threadKey)).emit(activity.event, activity.payload);
  }
}
