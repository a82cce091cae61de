import type { EventMetadata, JsonValue, RecordedEvent } from '../events/event.js';

/** A recorded event as JSON: what the API answers, the live feed sends and `hindsight export` writes. */
export interface EventJson {
  position: number;
  id: string;
  streamId: string;
  streamVersion: number;
  type: string;
  schemaVersion: number;
  data: JsonValue;
  metadata: EventMetadata;
  /** An ISO-8601 instant, in milliseconds. */
  recordedAt: string;
}

/**
 * The JSON of a recorded event: every field as stored, `recordedAt` as an ISO-8601 instant.
 *
 * @example
 * for await (const event of store.readAll()) process.stdout.write(`${JSON.stringify(eventJson(event))}\n`);
 */
export function eventJson(event: RecordedEvent): EventJson {
  return {
    position: event.position,
    id: event.id,
    streamId: event.streamId,
    streamVersion: event.streamVersion,
    type: event.type,
    schemaVersion: event.schemaVersion,
    data: event.data,
    metadata: event.metadata,
    recordedAt: event.recordedAt.toISOString(),
  };
}
