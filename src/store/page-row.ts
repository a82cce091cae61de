import type { EventMetadata, JsonValue, RecordedEvent } from '../events/event.js';
import { exactInteger } from './safe-integer.js';

/**
 * A recorded event as one JSON array, the form both stores read pages in (the SQLite page worker, PostgreSQL's
 * JSON pages): `[position, id, streamId, version, type, schemaVersion, data, metadata, recordedAtMs]`. A stream's
 * own read may leave the stream id null and give it instead.
 */
export type PageRow = [
  number,
  string,
  string | null,
  number,
  string,
  number,
  JsonValue,
  EventMetadata,
  number,
];

/** The event of a page row. A position or version past 2^53 - 1 parses inexactly and is refused, never rounded. */
export function fromPageRow(row: PageRow, streamId = row[2] as string): RecordedEvent {
  return {
    position: exactInteger(row[0], 'position'),
    id: row[1],
    streamId,
    streamVersion: exactInteger(row[3], 'stream version'),
    type: row[4],
    schemaVersion: row[5],
    data: row[6],
    metadata: row[7],
    recordedAt: new Date(row[8]),
  };
}
