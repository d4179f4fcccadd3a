import { createHash } from 'node:crypto';
import type { RedisClient } from '@switchboard/redis';

/**
 * A Redis Lua script run by its SHA (EVALSHA), loading it on first use or after a server restart
 * (NOSCRIPT). Scripts run atomically on the server, which is what makes claims and capacity
 * accounting safe with several router replicas.
 */
export class LuaScript {
  private readonly sha: string;

  constructor(
    readonly name: string,
    private readonly source: string,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(
    client: RedisClient,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
        return client.eval(this.source, keys.length, ...keys, ...args);
      }
      throw error;
    }
  }
}
