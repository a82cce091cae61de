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
  close(): Promise<void>;
}

/** A thin adapter: how one system (ours, the raw driver, later a peer) opens a log. */
export interface BenchSystem {
  /** Stable id used in results and by the replay child process, e.g. `hindsight` or `raw`. */
  id: string;
  role: 'ours' | 'raw';
  backend: Backend;
  /** Human name for tables, e.g. `better-sqlite3 (hand-written SQL)`. */
  label: string;
  durabilities: readonly Durability[];
  /** What an acknowledged write means on this system at this durability, stated beside every figure. */
  durabilityNote(durability: Durability): string;
  open(target: Target, durability: Durability): Promise<OpenLog>;
}
