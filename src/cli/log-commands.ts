import { userInfo } from 'node:os';
import type { ExpectedVersion, JsonObject, JsonValue, RecordedEvent } from '../events/event.js';
import { subscribe } from '../subscriptions/subscribe.js';
import { openStore, type StoreFlags, storeLocation } from './open-store.js';
import { eventFormat, formatEvent, tableHeader } from './output.js';

export interface AppendFlags extends StoreFlags {
  actor?: string;
  expectedVersion?: string;
  id?: string;
  metadata?: string;
}

/** `hindsight append <stream> <type> <json>`: appends one event and prints the result as JSON. */
export async function appendCommand(streamId: string, type: string, json: string, flags: AppendFlags) {
  const data = parseJson(json, 'the event data');
  const metadata = flags.metadata === undefined ? {} : parseJsonObject(flags.metadata, '--metadata');
  const expectedVersion = parseExpectedVersion(flags.expectedVersion);
  const actor = flags.actor ?? `cli:${userInfo().username}`;
  const { store } = await openStore(storeLocation(flags), { create: true });
  try {
    const result = await store.appendToStream(
      streamId,
      [{ type, data, metadata: { ...metadata, actor }, id: flags.id }],
      { expectedVersion },
    );
    console.log(JSON.stringify(result));
  } finally {
    await store.close();
  }
}

export interface ReadFlags extends StoreFlags {
  from?: string;
  limit?: string;
  format?: string;
  backwards?: boolean;
  streamPrefix?: string;
  type?: string[];
}

/** `hindsight read [stream]`: a stream's events, or the whole log, as NDJSON or a table. */
export async function readCommand(streamId: string | undefined, flags: ReadFlags) {
  const format = eventFormat(flags.format);
  const from = optionalInteger(flags.from, '--from', 0);
  const limit = optionalInteger(flags.limit, '--limit', 1);
  if (streamId !== undefined && (flags.streamPrefix !== undefined || flags.type !== undefined)) {
    throw new Error('--stream-prefix and --type filter the log; drop them to read one stream');
  }
  const { store } = await openStore(storeLocation(flags), { create: false });
  try {
    const events =
      streamId === undefined
        ? store.readAll({ from, limit, streamPrefix: flags.streamPrefix, types: flags.type })
        : store.readStream(streamId, { from, limit, direction: flags.backwards ? 'backwards' : 'forwards' });
    if (format === 'table') console.log(tableHeader());
    let count = 0;
    for await (const event of events) {
      console.log(formatEvent(event, format));
      count++;
    }
    if (format === 'table') console.log(`${count} event${count === 1 ? '' : 's'}`);
  } finally {
    await store.close();
  }
}

export interface TailFlags extends StoreFlags {
  from?: string;
  format?: string;
  streamPrefix?: string;
  type?: string[];
}

/**
 * `hindsight tail`: prints events as they are appended (from `--from` first, when given) until Ctrl-C, then a
 * one-line summary.
 */
export async function tailCommand(flags: TailFlags) {
  const format = eventFormat(flags.format);
  const from = optionalInteger(flags.from, '--from', 1);
  const { store, description } = await openStore(storeLocation(flags), { create: false });
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let count = 0;
  let last: RecordedEvent | undefined;
  try {
    const after = from === undefined ? await store.headPosition() : from - 1;
    console.error(`following ${description} after position ${after} (Ctrl-C to stop)`);
    if (format === 'table') console.log(tableHeader());
    for await (const batch of subscribe(store, {
      after,
      streamPrefix: flags.streamPrefix,
      types: flags.type,
      signal: controller.signal,
    })) {
      for (const event of batch.events) {
        console.log(formatEvent(event, format));
        count++;
        last = event;
      }
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await store.close();
  }
  console.error(
    `followed ${count} event${count === 1 ? '' : 's'}${last ? `, the last at position ${last.position}` : ''}`,
  );
}

/** Parses JSON given on the command line, naming what it was for when it is not JSON. */
export function parseJson(text: string, what: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    throw new Error(`${what} is not JSON: ${(error as Error).message}`);
  }
}

function parseJsonObject(text: string, what: string): JsonObject {
  const value = parseJson(text, what);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${what} must be a JSON object`);
  }
  return value;
}

function parseExpectedVersion(text: string | undefined): ExpectedVersion | undefined {
  if (text === undefined) return undefined;
  if (text === 'any' || text === 'no_stream' || text === 'stream_exists') return text;
  const version = optionalInteger(text, '--expected-version', 0);
  return version;
}

/** A non-negative integer flag, or undefined when absent. */
export function optionalInteger(text: string | undefined, flag: string, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(n) || n < min) {
    throw new Error(`${flag} must be an integer of at least ${min}, got ${text}`);
  }
  return n;
}
