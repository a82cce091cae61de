import type { EventMetadata, JsonValue } from '../../src/events/event.js';

export type Backend = 'sqlite' | 'postgres';

/** `strict`: every acknowledged commit is fsynced. `normal`: SQLite's synchronous=NORMAL (fsync at checkpoints). */
export type Durability = 'strict' | 'normal';

/** One event of a workload: the same object is handed to every system. */
export interface BenchEvent {
  type: string;
  data: JsonValue;
  metadata: EventMetadata;
}

/** Where one system keeps one log: a fresh SQLite file, or a fresh PostgreSQL schema. */
export type Target =
  | { backend: 'sqlite'; file: string }
  | { backend: 'postgres'; connectionString: string; schema: string };

/** A log opened by one system, driven by the scenarios. */
export interface OpenLog {
  /** Appends the events to one stream in one transaction; resolves once they are durable as the durability says. */
  append(streamId: string, events: readonly BenchEvent[]): Promise<void>;
  /** Reads the whole log in position order, decoding every event, and hands each to `visit`. */
  replay(visit: (position: number, data: unknown) => void): Promise<void>;
  /**
   * Folds one stream's deposits into a balance the way the system recommends loading state (Hindsight:
   * `loadState`, with its snapshots when `snapshot` is set; Emmett: `aggregateStream`).
   */
  load?(streamId: string, options: { snapshot: boolean }): Promise<Balance>;
  /** Takes a snapshot of the stream at its last version, where the system has snapshots. */
  snapshot?(streamId: string): Promise<void>;
  /**
   * One deposit command on a stream: load its state, decide one `Deposited` event, append it expecting the version
   * loaded, retrying on a version conflict as the system recommends. Resolves with the attempts it took; rejects
   * when it gave up.
   */
  command?(streamId: string, deposit: BenchEvent): Promise<{ attempts: number }>;
  /**
   * Opens a balances view (one row per stream: the sum of its deposits) as the system recommends; untimed.
   * Its `rebuild` then builds the view again from the whole log, from scratch, and is what a scenario times.
   */
  balancesView?(): Promise<BalancesView>;
  close(): Promise<void>;
}

/** A stream folded into a balance. */
export interface Balance {
  version: number;
  balance: number;
}

export interface BalancesView {
  rebuild(): Promise<Balances>;
  close(): Promise<void>;
}

/** What a balances table holds after a rebuild. */
export interface Balances {
  rows: number;
  total: number;
}

/** A thin adapter: how one system (ours, the raw driver, a peer such as Emmett) opens a log. */
export interface BenchSystem {
  /** Stable id used in results and by the replay child process, e.g. `hindsight` or `raw`. */
  id: string;
  role: 'ours' | 'raw' | 'peer';
  backend: Backend;
  /** Human name for tables, e.g. `better-sqlite3 (hand-written SQL)`. */
  label: string;
  durabilities: readonly Durability[];
  /** What an acknowledged write means on this system at this durability, stated beside every figure. */
  durabilityNote(durability: Durability): string;
  open(target: Target, durability: Durability): Promise<OpenLog>;
}
