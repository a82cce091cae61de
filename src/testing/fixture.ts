import type { AppendResult, EventStore } from '../store/event-store.js';

/**
 * An append held open inside its transaction, to prove readers wait for it (see `holdAppend`).
 *
 * @example
 * const held = await log.holdAppend('slow', [{ type: 'Held', data: {} }]);
 * await log.store.appendToStream('fast', [{ type: 'Later', data: {} }]);
 * await held.commit();
 */
export interface HeldAppend {
  /** Lets the held transaction commit; resolves with the append's result. */
  commit(): Promise<AppendResult>;
  /** Rolls the held transaction back; nothing of it is stored. */
  rollback(): Promise<void>;
}

/**
 * What the contract suite needs of an adapter. Each `open` returns a store on a fresh, empty log
 * (a new file, a new schema); `reopen` returns another store on the same log, as another process would see it.
 *
 * @example
 * describeEventStoreContract({
 *   name: 'sqlite',
 *   open: async () => {
 *     const file = join(mkdtempSync(join(tmpdir(), 'contract-')), 'events.sqlite');
 *     const store = createSqliteEventStore({ file });
 *     return {
 *       store,
 *       reopen: async () => createSqliteEventStore({ file }),
 *       sql: async (statement) => { store.database.exec(statement); },
 *       dispose: async () => { await store.close(); rmSync(dirname(file), { recursive: true }); },
 *     };
 *   },
 *   skip: [{ reason: 'single writer: a held write blocks every later one', tests: ['order under concurrent commits'] }],
 * });
 */
export interface EventStoreFixture {
  name: string;
  /** A store on a fresh log, plus what the suite may do with that log. */
  open(): Promise<OpenedStore>;
  /**
   * Cases this adapter cannot run, each with the reason printed in the report. A name in `tests` is a group
   * (`'order under concurrent commits'`), a case's title, or both joined by `' > '`; an unknown name is an error.
   */
  skip?: readonly { reason: string; tests: readonly string[] }[];
}

/**
 * One fresh log as the suite uses it: the store, and what else the adapter lets the suite do with the log.
 *
 * @example
 * const log: OpenedStore = { store, reopen: async () => open(file), sql: async (s) => db.exec(s), dispose };
 */
export interface OpenedStore {
  store: EventStore;
  /** Another store on the same log (another connection, as a second process would have). */
  reopen(): Promise<EventStore>;
  /**
   * Starts an append and holds its transaction open after its positions are taken, until commit or rollback.
   * Adapters with a single writer (SQLite) leave this out: a held write blocks every later one, so commit order
   * is position order by construction, and the cases that need it are skipped with that reason.
   */
  holdAppend?(streamId: string, events: { type: string; data: unknown }[]): Promise<HeldAppend>;
  /**
   * How a child process opens this log: a module exporting `openStore(config): Promise<EventStore>`, and the
   * JSON config to pass it. Used by the kill -9 case.
   */
  child?: { module: string; config: unknown };
  /**
   * Runs raw SQL on the log's database (immutability case): `UPDATE` and `DELETE` statements on the events
   * table, named by `eventsTable`, using its `id` and `type` columns.
   */
  sql(statement: string): Promise<void>;
  /** The events table's name as `sql` sees it; default `events`. */
  eventsTable?: string;
  /**
   * Makes the next append's first event take `position` (near 2^53, for the overflow case). It may be called
   * again before each append; an adapter may do it by storing an event of its own in a stream whose id starts
   * with `$`.
   */
  setNextPosition?(position: number): Promise<void>;
  /** Frees what `open` made (closes stores, those from `reopen` too, and drops the schema or deletes the file). */
  dispose(): Promise<void>;
}
