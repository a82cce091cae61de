/**
 * Runs work for one stream at a time within this process. Commands racing on a hot stream would otherwise
 * load the same version, decide, and all but one lose and retry: serializing them here leaves conflicts to
 * writers in other processes, which `handleCommand` still retries.
 */
export class StreamLocks {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(streamId: string, work: () => Promise<T>): Promise<T> {
    const before = this.tails.get(streamId) ?? Promise.resolve();
    let release = () => {};
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = before.then(() => mine);
    this.tails.set(streamId, tail);
    await before;
    try {
      return await work();
    } finally {
      release();
      // The last in line leaves no entry behind, so the map holds only streams with work waiting.
      if (this.tails.get(streamId) === tail) this.tails.delete(streamId);
    }
  }
}
