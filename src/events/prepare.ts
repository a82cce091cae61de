import { randomUUID } from 'node:crypto';
import { InvalidInputError } from './errors.js';
import type { NewEvent } from './event.js';
import { findNonJson } from './json.js';

/** Limits on what an append may carry. */
export interface AppendLimits {
  /** Largest serialized data plus metadata of one event, in bytes; default 1 MiB. */
  maxEventBytes: number;
}

export const defaultLimits: AppendLimits = { maxEventBytes: 1024 * 1024 };

/** An event checked and serialized, ready for a store to write. */
export interface PreparedEvent {
  id: string;
  type: string;
  schemaVersion: number;
  data: string;
  metadata: string;
}

const maxIdLength = 200;
// C0 and C1 control characters, and DEL: the point of this pattern is to find them.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is its purpose
const controlCharacter = /[\u0000-\u001f\u007f-\u009f]/;
// Half of a surrogate pair: no UTF-8 can hold it, so the database would store U+FFFD instead of the name given.
const loneSurrogate = /\p{Surrogate}/u;

/** Checks a stream id: non-empty, at most 200 characters, no control characters, well-formed Unicode. */
export function checkStreamId(streamId: unknown, where = 'streamId'): string {
  const problem = nameProblem(streamId);
  if (problem) throw new InvalidInputError('InvalidStreamId', where, problem);
  return streamId as string;
}

function nameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return `must be a string, got ${typeof name}`;
  if (name.length === 0) return 'must not be empty';
  if (name.length > maxIdLength)
    return `is ${name.length} characters long; at most ${maxIdLength} are allowed`;
  const match = controlCharacter.exec(name);
  if (match) {
    const code = match[0].charCodeAt(0).toString(16).padStart(4, '0');
    return `contains the control character U+${code} at index ${match.index}`;
  }
  const lone = loneSurrogate.exec(name);
  if (lone) return `contains a lone surrogate (half of a UTF-16 pair) at index ${lone.index}`;
  return undefined;
}

/**
 * Checks and serializes the events of one append. Throws an `InvalidInputError` naming the stream,
 * the event's index and the field at fault; a store calls it before touching the database, so bad input changes nothing.
 * `seenIds` spans a multi-stream append so an id used twice anywhere in it is refused.
 */
export function prepareEvents(
  streamId: string,
  events: readonly NewEvent<string, unknown>[],
  limits: AppendLimits = defaultLimits,
  seenIds: Set<string> = new Set(),
): PreparedEvent[] {
  const where = `stream ${JSON.stringify(streamId)}`;
  if (!Array.isArray(events)) throw new InvalidInputError('InvalidEvent', where, 'events must be an array');
  if (events.length === 0)
    throw new InvalidInputError('InvalidEvent', where, 'an append needs at least one event');
  const prepared: PreparedEvent[] = new Array(events.length);
  for (let i = 0; i < events.length; i++) {
    prepared[i] = prepareEvent(events[i], `${where}, event ${i}`, limits, seenIds);
  }
  return prepared;
}

function prepareEvent(
  event: NewEvent<string, unknown> | undefined,
  where: string,
  limits: AppendLimits,
  seenIds: Set<string>,
): PreparedEvent {
  if (typeof event !== 'object' || event === null) {
    throw new InvalidInputError('InvalidEvent', where, 'must be an object { type, data, metadata?, id? }');
  }
  const typeProblem = nameProblem(event.type);
  if (typeProblem) throw new InvalidInputError('InvalidEvent', `${where}, field type`, typeProblem);
  const at = `${where} (${event.type})`;

  let id: string;
  if (event.id === undefined) {
    id = randomUUID();
  } else {
    const idProblem = nameProblem(event.id);
    if (idProblem) throw new InvalidInputError('InvalidEvent', `${at}, field id`, idProblem);
    if (seenIds.has(event.id)) {
      throw new InvalidInputError(
        'DuplicateEventId',
        `${at}, field id`,
        `id ${event.id} is used twice in one append`,
      );
    }
    seenIds.add(event.id);
    id = event.id;
  }

  const schemaVersion = event.schemaVersion ?? 1;
  if (!Number.isSafeInteger(schemaVersion) || schemaVersion < 1) {
    throw new InvalidInputError('InvalidEvent', `${at}, field schemaVersion`, 'must be a positive integer');
  }

  if (event.data === undefined)
    throw new InvalidInputError('InvalidEvent', `${at}, field data`, 'is missing');
  const dataProblem = findNonJson(event.data, 'data');
  if (dataProblem) throw new InvalidInputError('InvalidEvent', at, dataProblem);
  const metadata = event.metadata ?? {};
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new InvalidInputError('InvalidEvent', `${at}, field metadata`, 'must be an object');
  }
  const metadataProblem = findNonJson(metadata, 'metadata');
  if (metadataProblem) throw new InvalidInputError('InvalidEvent', at, metadataProblem);

  const data = JSON.stringify(event.data);
  const metadataJson = JSON.stringify(metadata);
  // A UTF-16 unit is at most 3 bytes of UTF-8, so most events are cleared without counting bytes.
  const bytes =
    (data.length + metadataJson.length) * 3 <= limits.maxEventBytes
      ? 0
      : Buffer.byteLength(data) + Buffer.byteLength(metadataJson);
  if (bytes > limits.maxEventBytes) {
    throw new InvalidInputError(
      'EventTooLarge',
      at,
      `data and metadata take ${bytes} bytes as JSON; the limit is ${limits.maxEventBytes}`,
    );
  }
  return { id, type: event.type, schemaVersion, data, metadata: metadataJson };
}
