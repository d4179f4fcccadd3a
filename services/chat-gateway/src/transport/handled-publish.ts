import type { RedisClient } from '@switchboard/redis';

/**
 * The socket.io Redis adapter issues `PUBLISH` for every room broadcast and drops the promise.
 * When Redis is unreachable (or the connection is closing) that promise rejects with nobody
 * listening, and an unhandled rejection ends a Node process. This gives every publish of the
 * client a rejection handler that reports the failure instead; the caller still gets the promise.
 *
 * A broadcast lost this way loses nothing a visitor needs: agent replies stay in the reply
 * mailbox until the widget acknowledges them, and typing or read signals are momentary.
 */
export function handlePublishFailures(
  client: RedisClient,
  onFailure: (error: unknown) => void,
): RedisClient {
  const publish = client.publish.bind(client) as (...args: unknown[]) => Promise<number>;
  const handled = (...args: unknown[]): Promise<number> => {
    const published = publish(...args);
    published.catch(onFailure);
    return published;
  };
  client.publish = handled;
  return client;
}
