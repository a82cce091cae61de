import { closeSync, fdatasync, fdatasyncSync, fstatSync, openSync, statSync } from 'node:fs';

/**
 * Makes the write-ahead log durable off the event loop. A strict store's connection runs at
 * `synchronous=NORMAL`, so a COMMIT only writes the WAL file, and this `fdatasync`s it on libuv's thread pool
 * before the commit's appends are acknowledged: once `sync()` resolves, every frame written before it was called
 * is on disk, which is what `synchronous=FULL` would have made sure of inside COMMIT, with the event loop blocked
 * for it (1 to 13 ms per commit under load here; docs/store.md).
 *
 * Calls that arrive while a sync runs share the next one (the running one may have started before their
 * frames were written); `durable` is the head position the last completed sync covers.
 */
export class WalSync {
  private fd: number | undefined;
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  private closed = false;
  /** The highest position known to be on disk. */
  durable: number;
  /** fdatasyncs done since the store opened. */
  completed = 0;

  constructor(
    private readonly walFile: string,
    /** The log's head as the connection sees it now (committed, maybe not yet on disk). */
    private readonly head: () => number,
  ) {
    // What a store opens on was written by an earlier process, perhaps never synced: once, here, before any
    // reader is told of it.
    const fd = this.walFd();
    if (fd !== undefined) fdatasyncSync(fd);
    this.durable = head();
  }

  /** Resolves once every frame written before this call is on disk, and `durable` covers the head as of then. */
  sync(): Promise<void> {
    if (!this.running) {
      this.running = this.once().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    this.next ??= this.running.then(() => {
      this.next = undefined;
      return this.sync();
    });
    return this.next;
  }

  /** Waits for the syncs in flight; later calls resolve at once without syncing. */
  async close(): Promise<void> {
    await this.next;
    await this.running;
    this.closed = true;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private async once(): Promise<void> {
    if (this.closed) return;
    const head = this.head();
    const fd = this.walFd();
    if (fd !== undefined) {
      await new Promise<void>((resolve, reject) =>
        fdatasync(fd, (error) => (error ? reject(error) : resolve())),
      );
      this.completed++;
    }
    if (head > this.durable) this.durable = head;
  }

  // Opened at the first sync (the WAL exists once something was written), and again should SQLite ever have
  // replaced the file (a new inode): an fsync of the old one would prove nothing.
  private walFd(): number | undefined {
    let current: number;
    try {
      current = statSync(this.walFile).ino;
    } catch {
      return undefined; // no WAL yet: nothing was written through it
    }
    if (this.fd !== undefined && fstatSync(this.fd).ino !== current) {
      closeSync(this.fd);
      this.fd = undefined;
    }
    this.fd ??= openSync(this.walFile, 'r');
    return this.fd;
  }
}
