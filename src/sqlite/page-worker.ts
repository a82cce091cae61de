import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/** A page of rows as the worker sends it: one JSON text of row arrays, in the columns of read.ts. */
export interface Page {
  text: string;
  rows: number;
  /** True when the page stopped at its size in bytes, not at its count or the end of the read. */
  truncated: boolean;
}

/**
 * How to build the page after this one before it is asked for: its cursor is the parameter at `cursor`, one
 * `step` past the `key` (an aggregate, such as `max(position)`) of this page, and it holds `count` rows (the last
 * parameter).
 */
export interface ReadAhead {
  cursor: number;
  step: 1 | -1;
  key: string;
  count: number;
}

interface Request {
  id: number;
  /** The read's query, selecting the columns of read.ts in its order, its row count the last parameter. */
  sql: string;
  /** Its ORDER BY terms, for the page's text to keep that order. */
  order: string;
  params: unknown[];
  maxBytes: number;
  ahead?: ReadAhead;
}

type Reply = { id: number; page: Page } | { id: number; error: string };

// The worker is plain JavaScript run from this string, so it starts the same from TypeScript sources (tsx,
// vitest) and from the built package. It opens the file read-only on a connection of its own, and turns each
// page of rows into one JSON text, built by SQLite itself: the main thread then pays one JSON.parse per page
// instead of a driver call per row and two parses per event. Rows are arrays of the read's columns; data and
// metadata are JSON already and go in as they are stored. A page over maxBytes, or too large for one string at
// all (SQLite's or V8's limit: events of a MiB each), is built row by row instead, and cut at maxBytes.
const source = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
const row = "'[' || position || ',' || json_quote(id) || ',' || json_quote(stream_id) || ',' || stream_version || ',' || " +
  "json_quote(type) || ',' || schema_version || ',' || data || ',' || metadata || ',' || recorded_at || ']'";
const pages = new Map();
const rows = new Map();
function prepared(cache, key, sql, raw) {
  let statement = cache.get(key);
  if (!statement) {
    statement = db.prepare(sql);
    if (raw) statement.raw(true);
    cache.set(key, statement);
  }
  return statement;
}
function byRow(sql, params, maxBytes) {
  const parts = [];
  let bytes = 0;
  let truncated = false;
  for (const r of prepared(rows, sql, sql, true).iterate(...params)) {
    const text = '[' + r[0] + ',' + JSON.stringify(r[1]) + ',' + JSON.stringify(r[2]) + ',' + r[3] + ',' +
      JSON.stringify(r[4]) + ',' + r[5] + ',' + r[6] + ',' + r[7] + ',' + r[8] + ']';
    parts.push(text);
    bytes += text.length;
    if (bytes >= maxBytes) {
      truncated = true;
      break;
    }
  }
  return { text: '[' + parts.join(',') + ']', rows: parts.length, truncated };
}
function whole(sql, order, params, maxBytes, key) {
  try {
    const r = prepared(pages, sql + order + key,
      "SELECT '[' || coalesce(group_concat(" + row + ", ',' ORDER BY " + order + "), '') || ']', count(*), " + key +
      ' FROM (' + sql + ')', true).get(...params);
    return r[0].length <= maxBytes ? { text: r[0], rows: r[1], truncated: false, last: r[2] } : undefined;
  } catch (tooLarge) {
    return undefined;
  }
}
// The page built ahead, and the request it answers. Only a full page is kept: its rows are final (the log only
// grows, at its end), while a short one may have more rows by the time it is asked for.
let ready;
parentPort.on('message', ({ id, sql, order, params, maxBytes, ahead }) => {
  let page;
  try {
    const request = JSON.stringify([sql, order, params, maxBytes]);
    page = ready && ready.request === request ? ready.page : undefined;
    ready = undefined;
    if (!page) page = whole(sql, order, params, maxBytes, ahead ? ahead.key : 'NULL') || byRow(sql, params, maxBytes);
    parentPort.postMessage({ id, page: { text: page.text, rows: page.rows, truncated: page.truncated } });
  } catch (error) {
    parentPort.postMessage({ id, error: String((error && error.message) || error) });
    return;
  }
  // While the main thread parses this page, build the next one.
  if (!ahead || page.last == null || page.truncated || page.rows !== params[params.length - 1]) return;
  try {
    const next = params.slice();
    next[ahead.cursor] = page.last + ahead.step;
    next[next.length - 1] = ahead.count;
    const built = whole(sql, order, next, maxBytes, ahead.key);
    if (built && built.rows === ahead.count) ready = { request: JSON.stringify([sql, order, next, maxBytes]), page: built };
  } catch {
    // Only a guess: the request, if it comes, is answered as any other.
  }
});
`;

/**
 * Reads pages of the log on a worker thread, so a long read (a replay, a rebuild, a long stream) uses a second
 * core: the worker steps SQLite and builds each page's text while the main thread parses and hands out the one
 * before. Started on the first long read and kept until `close()`; it never keeps the process alive. A worker
 * that fails is not used again, and reads go on in the main thread.
 */
export class PageWorker {
  private worker: Worker | undefined;
  private broken = false;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (page: Page) => void; reject: (e: Error) => void }>();

  constructor(private readonly file: string) {}

  /** False once the worker has failed (or for a file a worker cannot open, such as `:memory:`). */
  get usable(): boolean {
    return !this.broken;
  }

  read(sql: string, order: string, params: unknown[], maxBytes: number, ahead?: ReadAhead): Promise<Page> {
    let worker: Worker;
    try {
      if (this.broken) throw new Error('the page worker is closed or has failed');
      worker = this.started();
    } catch (error) {
      this.broken = true;
      return Promise.reject(error);
    }
    const id = this.nextId++;
    return new Promise<Page>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, sql, order, params, maxBytes, ahead } satisfies Request);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.broken = true;
    this.fail(new Error('the store is closed'));
    await worker?.terminate();
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const driver = resolveDriver();
    const worker = new Worker(source, { eval: true, workerData: { file: this.file, driver } });
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const waiting = this.waiting.get(reply.id);
      if (!waiting) return;
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) worker.unref();
      if ('page' in reply) waiting.resolve(reply.page);
      else waiting.reject(new Error(reply.error));
    });
    worker.on('error', (error) => this.giveUp(error));
    worker.on('exit', () => this.giveUp(new Error('the page worker exited')));
    this.worker = worker;
    return worker;
  }

  private giveUp(error: Error): void {
    this.broken = true;
    this.worker = undefined;
    this.fail(error);
  }

  private fail(error: Error): void {
    for (const waiting of this.waiting.values()) waiting.reject(error);
    this.waiting.clear();
  }
}

// Where this module's own import of the driver comes from; a bundle moved away from node_modules (a bench's
// temporary bundle, say) finds it from the working directory instead, or the reads stay in the main thread.
function resolveDriver(): string {
  try {
    return createRequire(import.meta.url).resolve('better-sqlite3');
  } catch {
    return createRequire(join(process.cwd(), 'index.js')).resolve('better-sqlite3');
  }
}
