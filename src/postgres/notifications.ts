import { createHash } from 'node:crypto';
import type pg from 'pg';
import { quoteIdentifier } from './identifier.js';

const firstRetryMs = 100;
const maxRetryMs = 5000;

/**
 * The channel a schema's appends are announced on. Channel names are at most 63 bytes; a long schema name is
 * hashed, which at worst wakes the followers of another schema for nothing.
 */
export function appendChannel(schema: string): string {
  const channel = `hindsight_${schema}`;
  return channel.length <= 63
    ? channel
    : `hindsight_${createHash('sha256').update(schema).digest('hex').slice(0, 40)}`;
}

/**
 * The listeners of a store's `onAppend`, woken by this process's appends and, through LISTEN on one dedicated
 * connection, by every other process's. The connection opens with the first listener and closes with the last;
 * when it drops it is opened again with growing backoff, and listeners are woken once it is back, since appends
 * may have committed unheard in between. Followers poll from their checkpoint anyway: this only cuts latency.
 */
export class AppendNotifications {
  private readonly listeners = new Set<() => void>();
  private client: pg.Client | undefined;
  private retryMs = firstRetryMs;
  private retryTimer: NodeJS.Timeout | undefined;
  // Bumped whenever listening stops, so a connection still being opened for an earlier start is discarded.
  private generation = 0;

  constructor(
    private readonly connect: () => pg.Client,
    private readonly channel: string,
  ) {}

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.listen();
    return () => {
      if (this.listeners.delete(listener) && this.listeners.size === 0) void this.stop();
    };
  }

  /** Calls every listener; one that throws does not stop the others. */
  wake(): void {
    for (const listener of this.listeners) {
      try {
        listener();
      } catch {
        // A listener's failure is its own.
      }
    }
  }

  /** Drops every listener and closes the connection. */
  async close(): Promise<void> {
    this.listeners.clear();
    await this.stop();
  }

  private listen(): void {
    const generation = this.generation;
    const client = this.connect();
    this.client = client;
    let dropped = false;
    const drop = () => {
      if (dropped) return;
      dropped = true;
      if (this.client === client) this.client = undefined;
      client.end().catch(() => {});
      if (generation !== this.generation || this.listeners.size === 0) return;
      this.retryTimer = setTimeout(() => this.listen(), this.retryMs);
      this.retryMs = Math.min(maxRetryMs, this.retryMs * 2);
    };
    client.on('error', drop);
    client.on('end', drop);
    client.on('notification', (message) => {
      if (message.channel === this.channel) this.wake();
    });
    client
      .connect()
      .then(() => client.query(`LISTEN ${quoteIdentifier(this.channel)}`))
      .then(() => {
        if (generation !== this.generation) return;
        this.retryMs = firstRetryMs;
        this.wake();
      }, drop);
  }

  private async stop(): Promise<void> {
    this.generation++;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }
}

/**
 * Announces appends after they commit, for appends that overlapped others of their store: a NOTIFY inside the
 * append's transaction would make their commits wait for each other, since PostgreSQL holds a database-wide lock
 * on the notification queue from before a notifying commit until it is flushed. One NOTIFY at a time is sent, on
 * a connection of its own, committed without waiting for the flush (a lost one only delays followers); appends
 * that finish meanwhile share the next.
 */
export class AppendAnnouncer {
  private client: pg.Client | undefined;
  private sending = false;
  private again = false;
  private closed = false;
  private readonly text: string;

  constructor(
    private readonly connect: () => pg.Client,
    channel: string,
  ) {
    // The channel is made of letters, digits and underscores (appendChannel), safe inside a literal.
    this.text = `BEGIN; SET LOCAL synchronous_commit = off; SELECT pg_notify('${channel}', ''); COMMIT`;
  }

  announce(): void {
    if (this.closed) return;
    if (this.sending) {
      this.again = true;
      return;
    }
    this.sending = true;
    void this.send();
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private async send(): Promise<void> {
    do {
      this.again = false;
      try {
        if (!this.client) {
          const client = this.connect();
          client.on('error', () => {
            if (this.client === client) this.client = undefined;
          });
          this.client = client;
          await client.connect();
        }
        await this.client.query(this.text);
      } catch {
        // Followers still poll: a lost announcement delays them, and the next append opens a new connection.
        this.client?.end().catch(() => {});
        this.client = undefined;
        break;
      }
    } while (this.again && !this.closed);
    // In the same step as the last check of `again`, so an append finishing now starts a new send.
    this.sending = false;
  }
}
