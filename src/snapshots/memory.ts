import type { Snapshot, SnapshotQuery, SnapshotStore } from './snapshot-store.js';

/**
 * Snapshots in a Map: for tests and for in-memory stores.
 *
 * @example
 * const snapshots = createMemorySnapshotStore();
 */
export function createMemorySnapshotStore(): SnapshotStore {
  const byStream = new Map<string, Snapshot[]>();
  return {
    async load(q: SnapshotQuery) {
      let best: Snapshot | undefined;
      for (const s of byStream.get(q.streamId) ?? []) {
        if (s.name !== q.name || s.shapeVersion !== q.shapeVersion) continue;
        if (q.maxStreamVersion !== undefined && s.streamVersion > q.maxStreamVersion) continue;
        if (q.maxPosition !== undefined && s.position > q.maxPosition) continue;
        if (q.maxRecordedAt !== undefined && s.recordedAt > q.maxRecordedAt) continue;
        if (!best || s.streamVersion > best.streamVersion) best = s;
      }
      return best && structuredClone(best);
    },
    async save(snapshot: Snapshot) {
      // Same version is replaced; other shapes of the same name are dropped, as the SQL stores do.
      const list = (byStream.get(snapshot.streamId) ?? []).filter(
        (s) =>
          s.name !== snapshot.name ||
          (s.shapeVersion === snapshot.shapeVersion && s.streamVersion !== snapshot.streamVersion),
      );
      list.push(structuredClone(snapshot));
      byStream.set(snapshot.streamId, list);
    },
    async deleteAll(name?: string) {
      let deleted = 0;
      for (const [streamId, list] of byStream) {
        const kept = list.filter((s) => name !== undefined && s.name !== name);
        deleted += list.length - kept.length;
        byStream.set(streamId, kept);
      }
      return deleted;
    },
  };
}
