import type { ExpectedVersion } from '../events/event.js';
import type { PreparedEvent } from '../events/prepare.js';
import type { AppendResult } from '../store/event-store.js';
import type { StoredIdentity } from '../store/idempotency.js';
import type { PreparedAppend } from '../store/prepare-append.js';
import { toSafeInteger } from '../store/safe-integer.js';
import { streamLockKey } from './locks.js';
import { type AppendPlan, planAppend } from './plan.js';

/** One caller's append (one `appendToStream` or `appendToStreams` call): all or nothing on its own. */
export type BatchMember = readonly PreparedAppend[];

/** What became of one member of a batch: its results, or the error its caller gets. */
export type MemberOutcome = { ok: true; results: AppendResult[] } | { ok: false; error: unknown };

/** A row of `append_events` and `append_batch`: a stored event, a stream's version, or the write's summary. */
export type StateRow = [
  id: string | null,
  streamId: string | null,
  version: string | null,
  position: string | null,
  type: string | null,
  data: string | null,
];

const expectedCodes = { any: -1, stream_exists: -2, no_stream: 0 } as const;

/** An expected version as the append functions take it: -1 any, -2 stream_exists, else the version. */
export function expectedCode(expected: ExpectedVersion): number {
  return typeof expected === 'number' ? expected : expectedCodes[expected];
}

/** Stream lock keys in one global order, so two appends never wait for each other in a cycle. */
export function lockKeys(schema: string, streamIds: Iterable<string>): string[] {
  const keys = [...new Set([...streamIds].map((id) => streamLockKey(schema, id)))];
  return keys.sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
}

/** An append's events column by column, as the append functions take them; `entries` says whose each is. */
export class EventColumns {
  readonly ids: string[] = [];
  readonly entries: number[] = [];
  readonly offsets: number[] = [];
  readonly types: string[] = [];
  readonly schemaVersions: number[] = [];
  readonly data: string[] = [];
  readonly metadata: string[] = [];

  add(events: readonly PreparedEvent[], entry: number): void {
    events.forEach((e, j) => {
      this.ids.push(e.id);
      this.entries.push(entry);
      this.offsets.push(j + 1);
      this.types.push(e.type);
      this.schemaVersions.push(e.schemaVersion);
      this.data.push(e.data);
      this.metadata.push(e.metadata);
    });
  }

  /** The columns in the order both functions take them, after the entries' own arguments. */
  values(): unknown[] {
    return [this.ids, this.entries, this.offsets, this.types, this.schemaVersions, this.data, this.metadata];
  }
}

/** The arguments of `append_batch` (schema.ts, migration 8), column by column. */
export function batchValues(schema: string, members: readonly BatchMember[], announce: boolean): unknown[] {
  const streamIds: string[] = [];
  const streamIndex = new Map<string, number>();
  const entryMembers: number[] = [];
  const entryStreams: number[] = [];
  const expected: number[] = [];
  const counts: number[] = [];
  const events = new EventColumns();
  members.forEach((appends, m) => {
    for (const { streamId, events: appended, expectedVersion } of appends) {
      let index = streamIndex.get(streamId);
      if (index === undefined) {
        index = streamIds.push(streamId);
        streamIndex.set(streamId, index);
      }
      entryMembers.push(m + 1);
      entryStreams.push(index);
      expected.push(expectedCode(expectedVersion));
      counts.push(appended.length);
      events.add(appended, entryMembers.length);
    }
  });
  return [
    lockKeys(schema, streamIds),
    streamIds,
    entryMembers,
    entryStreams,
    expected,
    counts,
    ...events.values(),
    announce,
  ];
}

/** What an append's statement read under its stream locks, and what it wrote. */
export interface ReadState {
  versions: Map<string, number>;
  stored: StoredIdentity[];
  /** Present when the statement wrote: the last position it took, and (batches) the events and members. */
  written?: { lastPosition: string; total?: number; members?: number[] };
}

/** Sorts the rows of `append_events` or `append_batch` into versions, stored events, and the write. */
export function readState(rows: readonly StateRow[]): ReadState {
  const state: ReadState = { versions: new Map(), stored: [] };
  for (const [id, streamId, version, position, type, data] of rows) {
    if (streamId === null) {
      if (position === null) continue;
      state.written = {
        lastPosition: position,
        total: version === null ? undefined : Number(version),
        members: data === null ? undefined : data.split(',').map(Number),
      };
    } else if (id === null) {
      state.versions.set(streamId, toSafeInteger(version ?? '0', `stream ${streamId} version`));
    } else {
      state.stored.push({
        id,
        streamId,
        streamVersion: toSafeInteger(version ?? '0', `stream ${streamId} version`),
        position: toSafeInteger(position ?? '0', 'position'),
        type: type ?? '',
        data: data ?? '',
      });
    }
  }
  return state;
}

/**
 * Each member's outcome from what `append_batch` read, decided in order with plan.ts: a member sees the versions
 * the members written before it left. The statement decided the same way; when the two disagree on which
 * members wrote, every member fails loudly rather than guess.
 */
export function decideBatch(members: readonly BatchMember[], rows: readonly StateRow[]): MemberOutcome[] {
  const state = readState(rows);
  const versions = state.versions;
  const outcomes: MemberOutcome[] = [];
  const writes: { member: number; plan: Extract<AppendPlan, { kind: 'write' }>; end: number }[] = [];
  let total = 0;
  members.forEach((appends, m) => {
    try {
      const plan = planAppend(appends, { versions, stored: state.stored });
      if (plan.kind === 'retry') {
        outcomes[m] = { ok: true, results: plan.results };
        return;
      }
      for (const { streamId, events } of appends) {
        versions.set(streamId, (versions.get(streamId) ?? 0) + events.length);
      }
      total += plan.rows.ids.length;
      writes.push({ member: m, plan, end: total });
    } catch (error) {
      outcomes[m] = { ok: false, error };
    }
  });
  const written = state.written;
  const agreed =
    written === undefined
      ? writes.length === 0
      : written.total === total &&
        written.members?.length === writes.length &&
        writes.every((w, i) => written.members?.[i] === w.member + 1);
  if (!agreed) {
    const error = new Error('append_batch and planAppend disagree on which appends to write');
    return members.map(() => ({ ok: false, error }));
  }
  if (written) {
    const first = BigInt(written.lastPosition) - BigInt(total);
    for (const { member, plan, end } of writes) {
      try {
        outcomes[member] = { ok: true, results: plan.results((first + BigInt(end)).toString()) };
      } catch (error) {
        outcomes[member] = { ok: false, error };
      }
    }
  }
  return outcomes;
}
