import type { JsonValue } from '../events/event.js';

/** A decider's state folded up to a stream version, as derived data: deleting it changes no answer, only speed. */
export interface Snapshot {
  streamId: string;
  /** Which state this is, e.g. the decider's name: one stream may be folded by several deciders. */
  name: string;
  /** The version of the state's shape; a snapshot of another shape is ignored. */
  shapeVersion: number;
  /** The stream version the state covers (every event up to and including it). */
  streamVersion: number;
  /** The global position of the event at `streamVersion`. */
  position: number;
  /** When the event at `streamVersion` was recorded: lets time travel by instant start from this snapshot. */
  recordedAt: Date;
  state: JsonValue;
  takenAt: Date;
}

/** Which snapshot to load: the newest of this name and shape at or before a bound. */
export interface SnapshotQuery {
  streamId: string;
  name: string;
  shapeVersion: number;
  /** Only snapshots covering at most this stream version. */
  maxStreamVersion?: number;
  /** Only snapshots covering at most this global position. */
  maxPosition?: number;
  /** Only snapshots whose covered event was recorded at or before this instant. */
  maxRecordedAt?: Date;
}

/**
 * Where snapshots live: beside the events, in the same database, in their own table.
 *
 * @example
 * const snapshots = createSqliteSnapshotStore(store);
 * await handleCommand(store, 'account-1', account, command, { snapshots: { store: snapshots, name: 'account', shapeVersion: 1 } });
 */
export interface SnapshotStore {
  load(query: SnapshotQuery): Promise<Snapshot | undefined>;
  /**
   * Saves a snapshot. One of the same stream, name and version is replaced; those of the same stream and name
   * with another shape version are deleted (they can never be loaded again).
   */
  save(snapshot: Snapshot): Promise<void>;
  /** Deletes snapshots (all, or those of one name): they are derived data. Returns how many went. */
  deleteAll(name?: string): Promise<number>;
}
