/** A value that JSON can carry exactly: what event data and metadata are made of. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** An object of JSON values: the shape of event metadata. */
export type JsonObject = { [key: string]: JsonValue };

/**
 * Facts about an event that are not its data: who caused it and why.
 * `actor`, `correlationId` and `causationId` are the conventional keys; any other JSON key may be added.
 */
export interface EventMetadata {
  actor?: string;
  correlationId?: string;
  causationId?: string;
  [key: string]: JsonValue | undefined;
}

/**
 * An event to append. `id` is the key of idempotency: supply it to make retries safe; one is generated otherwise.
 *
 * @example
 * const event: NewEvent = { type: 'Deposited', data: { amount: 5000 }, metadata: { actor: 'alice' } };
 */
export interface NewEvent<Type extends string = string, Data = JsonValue> {
  type: Type;
  data: Data;
  metadata?: EventMetadata;
  id?: string;
  /** The version of the data's shape; 1 when omitted. */
  schemaVersion?: number;
}

/** An event as stored in the log, with its place in its stream and in the global order. */
export interface RecordedEvent<Type extends string = string, Data = JsonValue> {
  id: string;
  streamId: string;
  /** 1 for a stream's first event; no gaps within a stream. */
  streamVersion: number;
  /** The event's place in the whole log: starts at 1, strictly increasing in commit order as readers see it. */
  position: number;
  type: Type;
  schemaVersion: number;
  data: Data;
  metadata: EventMetadata;
  recordedAt: Date;
}

/** `'any'` skips the check, `'no_stream'` requires an empty stream, `'stream_exists'` a non-empty one, a number that exact version. */
export type ExpectedVersion = 'any' | 'no_stream' | 'stream_exists' | number;
