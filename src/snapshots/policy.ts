import type { JsonValue } from '../events/event.js';
import type { SnapshotStore } from './snapshot-store.js';

/**
 * How one decider's state is snapshotted: which table rows are its own (`name`), the version of the state's
 * shape (bump it when the state type changes: older snapshots are then ignored and replaced), and how often.
 *
 * @example
 * const policy: SnapshotPolicy<Account> = { store: snapshots, name: 'account', shapeVersion: 2, every: 100 };
 */
export interface SnapshotPolicy<State> {
  store: SnapshotStore;
  name: string;
  shapeVersion: number;
  /** Take a snapshot once this many events have been appended since the last one; default 100. */
  every?: number;
  /** State to JSON; default: the state as it is (it must then be plain JSON). */
  serialize?: (state: State) => JsonValue;
  /** JSON back to state; default: the JSON as it is. */
  deserialize?: (json: JsonValue) => State;
  /** Called when writing a snapshot fails; the command has succeeded regardless. Default: ignore. */
  onError?: (error: unknown) => void;
}

export const defaultSnapshotEvery = 100;

/** True when a stream now at `version`, last snapshotted at `snapshotVersion`, is due for a new snapshot. */
export function snapshotDue(every: number, snapshotVersion: number, version: number): boolean {
  return version - snapshotVersion >= every;
}
