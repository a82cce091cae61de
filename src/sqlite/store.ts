import Database from 'better-sqlite3';
import { InvalidInputError, StoreClosedError } from '../events/errors.js';
import type { RecordedEvent } from '../events/event.js';
import { type AppendLimits, checkStreamId, defaultLimits } from '../events/prepare.js';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  ReadAllOptions,
  ReadStreamOptions,
  StreamAppend,
} from '../store/event-store.js';
import { prepareAppend, prepareAppends } from '../store/prepare-append.js';
import { checkReadAllOptions, checkReadStreamOptions } from '../store/read-options.js';
import { SqliteAppender } from './append.js';
import { GroupCommit } from './group-commit.js';
import { PageWorker } from './page-worker.js';
import { SqliteReader } from './read.js';
import { migrate } from './schema.js';

export interface SqliteEventStoreOptions {
  /** A path to the database file, or `':memory:'` for a store that lives only as long as the process. */
  file: string;
  /**
   * `'strict'` (default) fsyncs every commit: an acknowledged append survives a power loss.
   * `'normal'` fsyncs at WAL checkpoints only: faster, and still safe against a crash of the process,
   * but the last moments before a power loss may be lost.
   */
  durability?: 'strict' | 'normal';
  /** Largest event (data plus metadata as JSON, in bytes); default 1 MiB. */
  maxEventBytes?: number;
  /** How long to wait for another process's write lock on the file, in milliseconds; default 5,000. */
  busyTimeoutMs?: number;
}

/** An `EventStore` on SQLite, together with its connection for tools that need it (projections, snapshots). */
export interface SqliteEventStore extends EventStore {
  /** The better-sqlite3 connection, for tables that commit together with the log (projections, snapshots). */
  readonly database: Database.Database;
}

/**
 * The embedded event store: one SQLite file in WAL mode, with group commit.
 *
 * @example
 * const store = createSqliteEventStore({ file: './data/events.sqlite' });
 * await store.appendToStream('account-1', [{ type: 'Opened', data: { owner: 'ada' } }]);
 */
export function createSqliteEventStore(options: SqliteEventStoreOptions): SqliteEventStore {
  const durability = options.durability ?? 'strict';
  if (durability !== 'strict' && durability !== 'normal') {
    throw new InvalidInputError('InvalidArgument', 'durability', `must be 'strict' or 'normal'`);
  }
  const limits: AppendLimits = { maxEventBytes: options.maxEventBytes ?? defaultLimits.maxEventBytes };
  const db = new Database(options.file);
  db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
  if (options.file !== ':memory:') db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${durability === 'strict' ? 'FULL' : 'NORMAL'}`);
  // Without it an INSERT OR REPLACE deletes a stored event without firing the trigger that forbids deletes.
  db.pragma('recursive_triggers = ON');
  migrate(db);

  const appender = new SqliteAppender(db);
  const commits = new GroupCommit(db, appender);
  const worker =
    options.file === ':memory:' || options.file === '' ? undefined : new PageWorker(options.file);
  const reader = new SqliteReader(db, worker);
  const streamVersion = db.prepare<[string], number | null>(
    'SELECT max(stream_version) FROM events WHERE stream_id = ?',
  );
  streamVersion.pluck();
  let closed = false;

  const open = (): void => {
    if (closed) throw new StoreClosedError();
  };

  return {
    database: db,

    async appendToStream(streamId, events, appendOptions: AppendOptions = {}): Promise<AppendResult> {
      open();
      const prepared = prepareAppend(
        { streamId, events, expectedVersion: appendOptions.expectedVersion },
        limits,
      );
      const [result] = await commits.submit([prepared]);
      return result as AppendResult;
    },

    async appendToStreams(appends: readonly StreamAppend[]): Promise<AppendResult[]> {
      open();
      return commits.submit(prepareAppends(appends, limits));
    },

    readStream(streamId: string, readOptions?: ReadStreamOptions): AsyncIterable<RecordedEvent> {
      open();
      checkStreamId(streamId);
      return reader.readStream(streamId, checkReadStreamOptions(readOptions));
    },

    readAll(readOptions?: ReadAllOptions): AsyncIterable<RecordedEvent> {
      open();
      return reader.readAll(checkReadAllOptions(readOptions));
    },

    async readEvent(eventId: string): Promise<RecordedEvent | undefined> {
      open();
      return typeof eventId === 'string' ? reader.readEvent(eventId) : undefined;
    },

    async headPosition(): Promise<number> {
      open();
      return appender.headPosition();
    },

    async streamVersion(streamId: string): Promise<number> {
      open();
      return streamVersion.get(checkStreamId(streamId)) ?? 0;
    },

    onAppend(listener: () => void): () => void {
      commits.listeners.add(listener);
      return () => commits.listeners.delete(listener);
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await commits.drained();
      await worker?.close();
      db.close();
    },
  };
}
