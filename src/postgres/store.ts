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
import { type PreparedAppend, prepareAppend, prepareAppends } from '../store/prepare-append.js';
import { checkReadAllOptions, checkReadStreamOptions } from '../store/read-options.js';
import { PostgresAppender, type PostgresStoreHooks } from './append.js';
import { dedicatedClient } from './connection.js';
import { type GroupCommitOptions, PostgresGroupCommit } from './group-commit.js';
import { checkSchemaName, quoteIdentifier } from './identifier.js';
import { AppendAnnouncer, AppendNotifications, appendChannel } from './notifications.js';
import { PostgresReader } from './read.js';
import { migrate } from './schema.js';

interface CommonOptions {
  /** The schema that holds every table of this store; created when missing. Default `hindsight`. */
  schema?: string;
  /** Largest event (data plus metadata as JSON, in bytes); default 1 MiB. */
  maxEventBytes?: number;
  /** How concurrent appends share transactions (see `GroupCommitOptions`); the defaults suit most loads. */
  groupCommit?: GroupCommitOptions;
  /** For tests only: see `PostgresStoreHooks`. */
  hooks?: PostgresStoreHooks;
}

/** The store makes its own pool, and ends it on `close()`. */
interface ConnectionStringOptions {
  connectionString: string;
  /** Connections in the store's pool; default 10. */
  poolSize?: number;
  pool?: never;
}

/** The store runs on a pool the caller owns, and never ends it. */
interface PoolOptions {
  pool: pg.Pool;
  connectionString?: never;
  poolSize?: never;
}

/**
 * Where the store connects (a connection string, or a pool), and which schema holds its tables.
 *
 * @example
 * const options: PostgresEventStoreOptions = { connectionString: process.env.DATABASE_URL ?? '', schema: 'ledger' };
 */
export type PostgresEventStoreOptions = CommonOptions & (ConnectionStringOptions | PoolOptions);

/**
 * An `EventStore` on PostgreSQL, with its pool and schema for code that keeps tables beside the log.
 *
 * @example
 * await store.pool.query(`CREATE TABLE IF NOT EXISTS "${store.schema}".balances (account text PRIMARY KEY, cents bigint)`);
 */
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
  const pool = options.pool ?? ownPool(options);
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
  const notifications = new AppendNotifications(() => dedicatedClient(pool), appendChannel(schema));
  const announcer = new AppendAnnouncer(() => dedicatedClient(pool), appendChannel(schema));
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    inFlight.add(work);
    const done = () => inFlight.delete(work);
    work.then(done, done);
    return work;
  };
  const groupCommit = new PostgresGroupCommit(
    appender,
    (announced) => {
      // A transaction that overlapped another of this store did not announce itself (that would make their
      // commits wait for each other: docs/postgres.md); one NOTIFY after COMMIT serves them all.
      if (!announced) announcer.announce();
      // Listeners here hear this store's appends at once; other processes' arrive by NOTIFY.
      notifications.wake();
    },
    options.groupCommit,
  );
  const append = (prepared: PreparedAppend[]): Promise<AppendResult[]> => track(groupCommit.submit(prepared));

  return {
    pool,
    schema,

    async appendToStream(streamId, events, appendOptions: AppendOptions = {}): Promise<AppendResult> {
      open();
      const prepared = prepareAppend(
        { streamId, events, expectedVersion: appendOptions.expectedVersion },
        limits,
      );
      const [result] = await append([prepared]);
      return result as AppendResult;
    },

    async appendToStreams(appends: readonly StreamAppend[]): Promise<AppendResult[]> {
      open();
      return append(prepareAppends(appends, limits));
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

    onAppend(listener: () => void): () => void {
      return notifications.subscribe(listener);
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await notifications.close();
      await Promise.allSettled(inFlight);
      await announcer.close();
      if (ownsPool) await pool.end();
    },
  };
}

// Pipelining lets an append send its statements two round trips at a time (see append.ts).
function ownPool(options: { connectionString?: unknown; poolSize?: number }): pg.Pool {
  const pool = new pg.Pool({
    connectionString: checkedConnection(options),
    max: options.poolSize,
    pipeline: true,
  });
  // An idle connection the server dropped (a restart, a terminated backend) is discarded by the pool, and the next
  // query connects again; without a listener, the pool's 'error' event would end the process.
  pool.on('error', () => {});
  return pool;
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
