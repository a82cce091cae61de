import type { ExpectedVersion, NewEvent, RecordedEvent } from '../events/event.js';

/** Options of one append. `expectedVersion` defaults to `'any'`. */
export interface AppendOptions {
  expectedVersion?: ExpectedVersion;
}

/** What an append returns: the stream's version after it, and the global position of its last event. */
export interface AppendResult {
  streamId: string;
  streamVersion: number;
  position: number;
}

/** One stream's part of a multi-stream append. */
export interface StreamAppend {
  streamId: string;
  events: readonly NewEvent<string, unknown>[];
  expectedVersion?: ExpectedVersion;
}

/**
 * A bound in the past: read the log as it was at a stream version (streams only), at a global position,
 * or at an instant (events recorded at or before it).
 */
export type AsOf = { version: number } | { position: number } | { time: Date };

export interface ReadStreamOptions {
  /** Only events up to this bound: the stream as it was then. */
  asOf?: AsOf;
  /** The first version to read: inclusive; defaults to 1 forwards and to the stream's last event backwards. */
  from?: number;
  direction?: 'forwards' | 'backwards';
  /** At most this many events in all. */
  limit?: number;
  /** Events fetched from the database per round trip; by default 1,000, growing to 5,000 on a long read. */
  batchSize?: number;
}

export interface ReadAllOptions {
  /** Only events up to this position or instant (`version` is refused: the log has no single version). */
  asOf?: AsOf;
  /** The first global position to read, inclusive; default 1. To resume after a checkpoint `c`, pass `c + 1`. */
  from?: number;
  /** At most this many events in all. */
  limit?: number;
  /** Only streams whose id starts with this (a category such as `account-`). */
  streamPrefix?: string;
  /** Only events of these types. */
  types?: readonly string[];
  /** Events fetched from the database per round trip; by default 1,000, growing to 5,000 on a long read. */
  batchSize?: number;
}

/**
 * The event log. Every adapter (SQLite, PostgreSQL, your own) keeps the promises of the contract suite
 * in `hindsight/testing`.
 *
 * @example
 * const { streamVersion } = await store.appendToStream('account-1', [{ type: 'Opened', data: { owner: 'ada' } }], {
 *   expectedVersion: 'no_stream',
 * });
 * for await (const event of store.readStream('account-1')) console.log(event.type);
 */
export interface EventStore {
  /** Appends events to one stream, atomically, after checking its version. */
  appendToStream(
    streamId: string,
    events: readonly NewEvent<string, unknown>[],
    options?: AppendOptions,
  ): Promise<AppendResult>;
  /** Appends to several streams at once: every check passes and every event is stored, or nothing is. */
  appendToStreams(appends: readonly StreamAppend[]): Promise<AppendResult[]>;
  /** A stream's events in version order, read in batches. */
  readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent>;
  /** The whole log in position order, read in batches; never passes an event a slower writer may still commit. */
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;
  /** The position of the last event a reader can see; 0 when the log is empty. */
  headPosition(): Promise<number>;
  /** The event with this id, or undefined. */
  readEvent(eventId: string): Promise<RecordedEvent | undefined>;
  /** The number of events in a stream; 0 when it does not exist. */
  streamVersion(streamId: string): Promise<number>;
  /**
   * Calls `listener` when new events may be readable: a hint to cut a follower's latency, never a guarantee
   * (a notification may come late, twice, or not at all, e.g. for appends by another process to a SQLite file).
   * Followers still read from their checkpoint. Returns a function that stops the calls.
   */
  onAppend(listener: () => void): () => void;
  /** Finishes pending appends and releases the database. */
  close(): Promise<void>;
}
