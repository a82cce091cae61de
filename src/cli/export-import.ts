import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { checkStreamId, type PreparedEvent, prepareEvents } from '../events/prepare.js';
import { eventJson } from '../server/event-json.js';
import { type OpenStore, openStore, type StoreFlags, storeLocation } from './open-store.js';
import { progress } from './output.js';

/**
 * `hindsight export`: the whole log as NDJSON, one event a line in position order, with everything that
 * identifies it (id, stream, version, position, type, schema version, data, metadata, recorded time).
 */
export async function exportCommand(flags: StoreFlags & { out?: string }): Promise<void> {
  const { store, description } = await openStore(storeLocation(flags), { create: false });
  const out: Writable =
    flags.out === undefined ? process.stdout : createWriteStream(flags.out, { flags: 'wx' });
  let count = 0;
  let first = 0;
  let last = 0;
  try {
    const bar = progress('exported', await store.headPosition());
    for await (const event of store.readAll({ batchSize: 5000 })) {
      if (!out.write(`${JSON.stringify(eventJson(event))}\n`)) await new Promise((r) => out.once('drain', r));
      count++;
      first ||= event.position;
      last = event.position;
      bar.tick(event.position);
    }
    bar.done();
    if (out !== process.stdout)
      await new Promise<void>((resolve, reject) =>
        out.end((e?: Error | null) => (e ? reject(e) : resolve())),
      );
  } finally {
    await store.close();
  }
  const range = count === 0 ? '' : ` (positions ${first} to ${last})`;
  console.error(`exported ${count} events${range} from ${description} to ${flags.out ?? 'standard output'}`);
}

/** One line of an export, checked: the event serialized as a store would, with its place and time. */
interface ImportedEvent {
  event: PreparedEvent;
  streamId: string;
  streamVersion: number;
  position: number;
  recordedAt: number;
}

/** Where an import writes: below the append API, since appends cannot choose positions or times. */
interface ImportTarget {
  begin(): Promise<void>;
  insert(events: readonly ImportedEvent[]): Promise<void>;
  commit(lastPosition: number): Promise<void>;
  rollback(): Promise<void>;
}

/**
 * `hindsight import <file>`: loads an export into an EMPTY store, keeping every id, version, position and
 * recorded time. The append API assigns positions and times itself, so this writes the events table directly
 * (the documented low-level path, docs/server.md), in one transaction: all of the file or none of it.
 */
export async function importCommand(file: string, flags: StoreFlags): Promise<void> {
  const opened = await openStore(storeLocation(flags), { create: true });
  const target = opened.kind === 'sqlite' ? sqliteTarget(opened) : await postgresTarget(opened);
  const versions = new Map<string, number>();
  const bar = progress('imported');
  let lineNumber = 0;
  let lastPosition = 0;
  let count = 0;
  let batch: ImportedEvent[] = [];
  try {
    await target.begin();
    // Made only now: readline drops lines that arrive before its iterator is asked for them.
    const input = file === '-' ? process.stdin : createReadStream(file);
    for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
      lineNumber++;
      if (line.trim() === '') continue;
      const imported = parseLine(line, lineNumber, versions, lastPosition);
      lastPosition = imported.position;
      batch.push(imported);
      count++;
      if (batch.length === 1000) {
        await target.insert(batch);
        batch = [];
        bar.tick(count);
      }
    }
    await target.insert(batch);
    await target.commit(lastPosition);
    bar.done();
  } catch (error) {
    bar.done();
    await target.rollback();
    throw error;
  } finally {
    await opened.store.close();
  }
  console.log(
    `imported ${count} events in ${versions.size} stream${versions.size === 1 ? '' : 's'} (up to position ${lastPosition}) into ${opened.description}`,
  );
}

function parseLine(line: string, n: number, versions: Map<string, number>, previous: number): ImportedEvent {
  const at = `line ${n}`;
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new Error(`${at}: not JSON`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new Error(`${at}: not a JSON object`);
  const streamId = checkStreamId(raw.streamId, `${at}, streamId`);
  const position = raw.position;
  if (typeof position !== 'number' || !Number.isSafeInteger(position) || position <= previous) {
    throw new Error(`${at}: position must be an integer greater than the line before's (${previous})`);
  }
  const expectedVersion = (versions.get(streamId) ?? 0) + 1;
  if (raw.streamVersion !== expectedVersion) {
    throw new Error(
      `${at}: stream ${streamId} must be at version ${expectedVersion} here, the line says ${String(raw.streamVersion)}`,
    );
  }
  const recordedAt = typeof raw.recordedAt === 'string' ? Date.parse(raw.recordedAt) : Number.NaN;
  if (Number.isNaN(recordedAt)) throw new Error(`${at}: recordedAt must be an ISO-8601 instant`);
  if (typeof raw.id !== 'string') throw new Error(`${at}: id must be a string`);
  const [event] = prepareEvents(streamId, [
    {
      id: raw.id,
      type: raw.type as string,
      data: raw.data,
      metadata: raw.metadata as Record<string, never>,
      schemaVersion: raw.schemaVersion as number,
    },
  ]);
  versions.set(streamId, expectedVersion);
  return { event: event as PreparedEvent, streamId, streamVersion: expectedVersion, position, recordedAt };
}

function refuseNonEmpty(count: number): void {
  if (count > 0) {
    throw new Error(
      `the store already holds ${count} events; import keeps positions, so it only fills an empty store`,
    );
  }
}

function sqliteTarget(opened: Extract<OpenStore, { kind: 'sqlite' }>): ImportTarget {
  const db = opened.store.database;
  const insert = db.prepare(`INSERT INTO events
    (position, id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  return {
    async begin() {
      // The write lock is held from here to the commit: no append can slip in between the check and the import.
      db.exec('BEGIN IMMEDIATE');
      refuseNonEmpty(db.prepare('SELECT count(*) FROM events').pluck().get() as number);
    },
    async insert(events) {
      for (const { event: e, streamId, streamVersion, position, recordedAt } of events) {
        try {
          insert.run(
            position,
            e.id,
            streamId,
            streamVersion,
            e.type,
            e.schemaVersion,
            e.data,
            e.metadata,
            recordedAt,
          );
        } catch (error) {
          throw new Error(`event at position ${position} (id ${e.id}): ${(error as Error).message}`);
        }
      }
    },
    async commit() {
      db.exec('COMMIT');
    },
    async rollback() {
      if (db.inTransaction) db.exec('ROLLBACK');
    },
  };
}

async function postgresTarget(opened: Extract<OpenStore, { kind: 'postgres' }>): Promise<ImportTarget> {
  const { pool, schema } = opened.store;
  const s = `"${schema.replaceAll('"', '""')}"`;
  const client = await pool.connect();
  let released = false;
  const release = () => {
    if (!released) client.release();
    released = true;
  };
  return {
    async begin() {
      await client.query('BEGIN');
      // Appenders wait until the import commits; readers see all of it at once or none of it.
      await client.query(`LOCK TABLE ${s}.events IN EXCLUSIVE MODE`);
      const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${s}.events`);
      refuseNonEmpty(Number(rows[0]?.n ?? 0));
    },
    async insert(events) {
      if (events.length === 0) return;
      await client.query(
        `INSERT INTO ${s}.events
           (position, id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::int[],
           $7::json[], $8::json[], $9::timestamptz[])`,
        [
          events.map((e) => e.position),
          events.map((e) => e.event.id),
          events.map((e) => e.streamId),
          events.map((e) => e.streamVersion),
          events.map((e) => e.event.type),
          events.map((e) => e.event.schemaVersion),
          events.map((e) => e.event.data),
          events.map((e) => e.event.metadata),
          events.map((e) => new Date(e.recordedAt).toISOString()),
        ],
      );
    },
    async commit(lastPosition) {
      // The next append takes the position after the last imported one.
      if (lastPosition > 0) await client.query(`SELECT setval('${s}.event_positions', $1)`, [lastPosition]);
      await client.query('COMMIT');
      release();
    },
    async rollback() {
      if (released) return;
      await client.query('ROLLBACK').catch(() => {});
      release();
    },
  };
}
