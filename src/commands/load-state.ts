import type { Decider, Message } from '../decider/decider.js';
import type { SnapshotPolicy } from '../snapshots/policy.js';
import type { Snapshot, SnapshotQuery } from '../snapshots/snapshot-store.js';
import type { AsOf, EventStore } from '../store/event-store.js';

/** A stream's state folded from its events, with where the fold stopped. */
export interface LoadedState<State> {
  state: State;
  /** The stream version the state covers; 0 for an empty stream. */
  streamVersion: number;
  /** The global position of the last event folded; 0 when none. */
  position: number;
  /** The version of the snapshot the fold started from; 0 when it started from the initial state. */
  snapshotVersion: number;
}

export interface LoadStateOptions<State> {
  /** Start from the newest suitable snapshot, if any. */
  snapshots?: SnapshotPolicy<State>;
  /** The state as it was then: at a stream version, a global position or an instant. */
  asOf?: AsOf;
}

/**
 * Loads a stream's state: the newest suitable snapshot, then the events after it (up to `asOf` when given).
 *
 * @example
 * const { state, streamVersion } = await loadState(store, 'account-1', account, { asOf: { time: new Date('2026-01-01') } });
 */
export async function loadState<Event extends Message, State>(
  store: EventStore,
  streamId: string,
  decider: Pick<Decider<Message, Event, State>, 'initialState' | 'evolve'>,
  options: LoadStateOptions<State> = {},
): Promise<LoadedState<State>> {
  const start = options.snapshots && (await startFromSnapshot(options.snapshots, streamId, options.asOf));
  const snapshot = start?.snapshot;
  const from: LoadedState<State> = {
    state: start ? start.state : decider.initialState(),
    streamVersion: snapshot?.streamVersion ?? 0,
    position: snapshot?.position ?? 0,
    snapshotVersion: snapshot?.streamVersion ?? 0,
  };
  return foldFrom(store, streamId, decider, from, options.asOf);
}

/** Folds the events after `from` (up to `asOf` when given) onto its state. */
export async function foldFrom<Event extends Message, State>(
  store: EventStore,
  streamId: string,
  decider: Pick<Decider<Message, Event, State>, 'evolve'>,
  from: LoadedState<State>,
  asOf?: AsOf,
): Promise<LoadedState<State>> {
  let { state, streamVersion, position } = from;
  const read = asOf ? { from: streamVersion + 1, asOf } : { from: streamVersion + 1 };
  for await (const event of store.readStream(streamId, read)) {
    state = decider.evolve(state, event as unknown as Event);
    streamVersion = event.streamVersion;
    position = event.position;
  }
  return { state, streamVersion, position, snapshotVersion: from.snapshotVersion };
}

async function startFromSnapshot<State>(
  policy: SnapshotPolicy<State>,
  streamId: string,
  asOf: AsOf | undefined,
): Promise<{ snapshot: Snapshot; state: State } | undefined> {
  const query: SnapshotQuery = { streamId, name: policy.name, shapeVersion: policy.shapeVersion };
  if (asOf && 'version' in asOf) query.maxStreamVersion = asOf.version;
  if (asOf && 'position' in asOf) query.maxPosition = asOf.position;
  if (asOf && 'time' in asOf) query.maxRecordedAt = asOf.time;
  try {
    const snapshot = await policy.store.load(query);
    if (!snapshot) return undefined;
    const state = policy.deserialize ? policy.deserialize(snapshot.state) : (snapshot.state as State);
    return { snapshot, state };
  } catch (error) {
    // A snapshot only saves time: when it cannot be read, the full fold gives the same answer.
    policy.onError?.(error);
    return undefined;
  }
}
