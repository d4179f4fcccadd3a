/**
 * Runs tasks one at a time per key (in call order) within this process.
 *
 * Why: FerretDB 1.x applies an update as read-modify-write without isolation, so two concurrent
 * updates of one document can lose one of them (measured: 100 parallel $inc end at 8). MongoDB
 * does not; there the guarded updates alone are safe across replicas. Serialising each
 * conversation's writes here makes the local stack correct too (it runs one replica).
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(task);
    const tail = current.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await current;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
