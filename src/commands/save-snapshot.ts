import type { JsonValue } from '../events/event.js';
import { defaultSnapshotEvery, type SnapshotPolicy, snapshotDue } from '../snapshots/policy.js';
import type { AppendResult, EventStore } from '../store/event-store.js';

/**
 * Writes a snapshot of `state` at the append's version when the policy says one is due. Never throws:
 * a snapshot only saves time, so failing to write one must not fail the command that succeeded.
 */
export async function saveSnapshotIfDue<State>(
  store: EventStore,
  streamId: string,
  policy: SnapshotPolicy<State> | undefined,
  snapshotVersion: number,
  state: State,
  appended: AppendResult,
): Promise<boolean> {
  if (
    !policy ||
    !snapshotDue(policy.every ?? defaultSnapshotEvery, snapshotVersion, appended.streamVersion)
  ) {
    return false;
  }
  try {
    // The covered event's own time, as the store recorded it, so time travel by instant can trust it.
    const last = await lastEvent(store, streamId, appended.streamVersion);
    if (!last) return false;
    await policy.store.save({
      streamId,
      name: policy.name,
      shapeVersion: policy.shapeVersion,
      streamVersion: appended.streamVersion,
      position: last.position,
      recordedAt: last.recordedAt,
      state: policy.serialize ? policy.serialize(state) : (state as JsonValue),
      takenAt: new Date(),
    });
    return true;
  } catch (error) {
    policy.onError?.(error);
    return false;
  }
}

async function lastEvent(store: EventStore, streamId: string, version: number) {
  for await (const event of store.readStream(streamId, { from: version, limit: 1 })) {
    if (event.streamVersion === version) return event;
  }
  return undefined;
}
