import pg from 'pg';
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
import { PostgresAppender, type PostgresStoreHooks } from './append.js';
import { checkSchemaName, quoteIdentifier } from './identifier.js';
import { PostgresReader } from './read.js';
import { migrate } from './schema.js';

interface CommonOptions {
  /** The schema that holds every table of this store; created when missing. Default `hindsight`. */
  schema?: string;
  /** Largest event (data plus metadata as JSON, in bytes); default 1 MiB. */
  maxEventBytes?: number;
  /** For tests only: see `PostgresStoreHooks`. */
  hooks?: PostgresStoreHooks;
}

/**
 * Where the store connects: a connection string (the store makes a pool and ends it on `close()`), or a pool
 * the caller owns (the store never ends it).
 */
export type PostgresEventStoreOptions = CommonOptions &
  (
    | {
        connectionString: string /** Connections in the store's pool; default 10. */;
        poolSize?: number;
        pool?: never;
      }
    | { pool: pg.Pool; connectionString?: never; poolSize?: never }
  );

/** An `EventStore` on PostgreSQL, with its pool and schema for code that keeps tables beside the log. */
export interface PostgresEventStore extends EventStore {
  /** The pool the store runs on, for tables that commit together with the log (projections, snapshots). */
  readonly pool: pg.Pool;
  /** The schema holding the store's tables, unquoted. */
  readonly schema: string;
}

/**
 * The event store on PostgreSQL: every table in one schema, migrated on start; many writers at once, and
 * readers of the global log that never pass an append still in flight.
 *
 * @example
 * const store = await createPostgresEventStore({ connectionString: 'postgres://localhost/app' });
 * await store.appendToStream('account-1', [{ type: 'Opened', data: { owner: 'ada' } }], { expectedVersion: 'no_stream' });
 * await store.close();
 */
export async function createPostgresEventStore(
  options: PostgresEventStoreOptions,
): Promise<PostgresEventStore> {
  const schema = checkSchemaName(options.schema ?? 'hindsight');
  const limits: AppendLimits = { maxEventBytes: options.maxEventBytes ?? defaultLimits.maxEventBytes };
  const ownsPool = options.pool === undefined;
  const pool =
    options.pool ?? new pg.Pool({ connectionString: checkedConnection(options), max: options.poolSize });
  const s = quoteIdentifier(schema);
  try {
    await migrate(pool, schema, s);
  } catch (error) {
    if (ownsPool) await pool.end();
    throw error;
  }

  let closed = false;
  const open = (): void => {
    if (closed) throw new StoreClosedError();
  };
  const appender = new PostgresAppender(pool, schema, s, options.hooks);
  const reader = new PostgresReader(pool, s, open);
  const listeners = new Set<() => void>();
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    inFlight.add(work);
    const done = () => inFlight.delete(work);
    work.then(done, done);
    return work;
  };
  const appended = <T>(results: T): T => {
    for (const listener of listeners) {
      try {
        listener();
      } catch {
        // A listener's failure is its own; the append has committed.
      }
    }
    return results;
  };

  return {
    pool,
    schema,

    async appendToStream(streamId, events, appendOptions: AppendOptions = {}): Promise<AppendResult> {
      open();
      const prepared = prepareAppend(
        { streamId, events, expectedVersion: appendOptions.expectedVersion },
        limits,
      );
      const [result] = appended(await track(appender.append([prepared])));
      return result as AppendResult;
    },

    async appendToStreams(appends: readonly StreamAppend[]): Promise<AppendResult[]> {
      open();
      return appended(await track(appender.append(prepareAppends(appends, limits))));
    },

    readStream(streamId: string, readOptions?: ReadStreamOptions): AsyncIterable<RecordedEvent> {
      open();
      return reader.readStream(checkStreamId(streamId), checkReadStreamOptions(readOptions));
    },

    readAll(readOptions?: ReadAllOptions): AsyncIterable<RecordedEvent> {
      open();
      return reader.readAll(checkReadAllOptions(readOptions));
    },

    async headPosition(): Promise<number> {
      open();
      return reader.headPosition();
    },

    async readEvent(eventId: string): Promise<RecordedEvent | undefined> {
      open();
      return typeof eventId === 'string' ? reader.readEvent(eventId) : undefined;
    },

    async streamVersion(streamId: string): Promise<number> {
      open();
      return appender.streamVersion(checkStreamId(streamId));
    },

    // Only appends through this store object call listeners: followers still poll from their checkpoint.
    onAppend(listener: () => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await Promise.allSettled(inFlight);
      if (ownsPool) await pool.end();
    },
  };
}

function checkedConnection(options: { connectionString?: unknown }): string {
  if (typeof options.connectionString === 'string' && options.connectionString !== '')
    return options.connectionString;
  throw new InvalidInputError(
    'InvalidArgument',
    'createPostgresEventStore',
    'needs a connectionString or a pool',
  );
}
