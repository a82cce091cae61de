import { PositionOverflowError } from '../events/errors.js';
import type { PreparedAppend } from '../store/prepare-append.js';

/** A unique violation on the events table: an id, or a stream version, that another append took first. */
export type UniqueConflict = { kind: 'id'; streamId: string; id: string } | { kind: 'streamVersion' };

/**
 * The unique violation `error` is, if it is one on the events table, with the id it names when it is an id
 * (PostgreSQL's detail reads `Key (id)=(the-id) already exists.`).
 */
export function conflictOf(error: unknown, appends: readonly PreparedAppend[]): UniqueConflict | undefined {
  const e = error as { code?: unknown; constraint?: unknown; detail?: unknown };
  if (e?.code !== '23505') return undefined;
  if (e.constraint === 'events_stream_version_key') return { kind: 'streamVersion' };
  if (e.constraint !== 'events_id_key') return undefined;
  for (const { streamId, events } of appends) {
    for (const { id } of events) {
      if (e.detail === `Key (id)=(${id}) already exists.`) return { kind: 'id', streamId, id };
    }
  }
  const first = appends[0];
  return first && { kind: 'id', streamId: first.streamId, id: first.events[0]?.id ?? '' };
}

/** The refusal of `take_positions` to hand out a position past 2^53 - 1, as the store's error. */
export function overflowOf(error: unknown): PositionOverflowError | undefined {
  const e = error as { code?: unknown; detail?: unknown; where?: unknown };
  if (e?.code !== '22003' || typeof e.detail !== 'string' || !/^\d+$/.test(e.detail)) return undefined;
  if (typeof e.where !== 'string' || !e.where.includes('take_positions')) return undefined;
  return new PositionOverflowError('position', BigInt(e.detail));
}
