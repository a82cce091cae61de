import type { AppendResult, EventStore } from '../store/event-store.js';

/** An append held open inside its transaction, to prove readers wait for it (see `holdAppend`). */
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
 *   open: async () => { const file = tempFile(); return { store: createSqliteEventStore({ file }), reopen: ... }; },
 * });
 */
export interface EventStoreFixture {
  name: string;
  /** A store on a fresh log, plus what the suite may do with that log. */
  open(): Promise<OpenedStore>;
  /** Cases this adapter cannot run, each with the reason printed in the report. */
  skip?: readonly { reason: string; tests: readonly string[] }[];
}

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
  /** Runs raw SQL on the log's database (immutability and overflow cases). */
  sql(statement: string): Promise<void>;
  /** Frees what `open` made (closes stores, drops the schema or deletes the file). */
  dispose(): Promise<void>;
}
