import { InvalidInputError } from '../events/errors.js';
import type { AsOf, ReadAllOptions, ReadStreamOptions } from './event-store.js';

export const defaultBatchSize = 1000;
// Without a batchSize of the caller's, a long read's batches grow (1,000, 2,000, 4,000, 5,000): a short stream
// costs one small round trip, and a long replay pays a fifth of the round trips (docs/store.md).
export const grownBatchSize = 5000;

function positiveInteger(value: unknown, fallback: number, where: string, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min) return value;
  throw new InvalidInputError(
    'InvalidArgument',
    where,
    `must be an integer of at least ${min}, got ${String(value)}`,
  );
}

/** An `asOf` bound as plain limits; each is `Number.MAX_SAFE_INTEGER` when unbounded. */
export interface CheckedBound {
  maxVersion: number;
  maxPosition: number;
  /** Milliseconds since the epoch. */
  maxTime: number;
}

const unbounded: CheckedBound = {
  maxVersion: Number.MAX_SAFE_INTEGER,
  maxPosition: Number.MAX_SAFE_INTEGER,
  maxTime: Number.MAX_SAFE_INTEGER,
};

/** Checks an `asOf` bound; `version` only where a stream is read. */
export function checkAsOf(asOf: AsOf | undefined, where: string, allowVersion: boolean): CheckedBound {
  if (asOf === undefined) return unbounded;
  if (typeof asOf === 'object' && asOf !== null) {
    if ('version' in asOf && allowVersion) {
      return { ...unbounded, maxVersion: positiveInteger(asOf.version, 0, `${where} asOf.version`, 0) };
    }
    if ('position' in asOf) {
      return { ...unbounded, maxPosition: positiveInteger(asOf.position, 0, `${where} asOf.position`, 0) };
    }
    if ('time' in asOf && asOf.time instanceof Date && !Number.isNaN(asOf.time.getTime())) {
      return { ...unbounded, maxTime: asOf.time.getTime() };
    }
  }
  const kinds = allowVersion
    ? '{ version }, { position } or { time: Date }'
    : '{ position } or { time: Date }';
  throw new InvalidInputError('InvalidArgument', `${where} asOf`, `must be one of ${kinds}`);
}

/** Read options with defaults filled in and every number checked. */
export interface CheckedReadStream extends CheckedBound {
  from: number | undefined;
  backwards: boolean;
  limit: number;
  batchSize: number;
  /** What batches may grow to on a long read: `batchSize` itself when the caller chose it. */
  maxBatchSize: number;
}

export function checkReadStreamOptions(options: ReadStreamOptions = {}): CheckedReadStream {
  const direction = options.direction ?? 'forwards';
  if (direction !== 'forwards' && direction !== 'backwards') {
    throw new InvalidInputError(
      'InvalidArgument',
      'readStream direction',
      `must be 'forwards' or 'backwards'`,
    );
  }
  return {
    ...checkAsOf(options.asOf, 'readStream', true),
    from: options.from === undefined ? undefined : positiveInteger(options.from, 1, 'readStream from', 0),
    backwards: direction === 'backwards',
    limit: positiveInteger(options.limit, Number.MAX_SAFE_INTEGER, 'readStream limit', 0),
    ...batchSizes(options.batchSize, 'readStream batchSize'),
  };
}

export interface CheckedReadAll extends CheckedBound {
  from: number;
  limit: number;
  streamPrefix: string | undefined;
  types: readonly string[] | undefined;
  batchSize: number;
  /** What batches may grow to on a long read: `batchSize` itself when the caller chose it. */
  maxBatchSize: number;
}

export function checkReadAllOptions(options: ReadAllOptions = {}): CheckedReadAll {
  const { streamPrefix, types } = options;
  if (streamPrefix !== undefined && typeof streamPrefix !== 'string') {
    throw new InvalidInputError('InvalidArgument', 'readAll streamPrefix', 'must be a string');
  }
  if (types !== undefined && (!Array.isArray(types) || types.some((t) => typeof t !== 'string'))) {
    throw new InvalidInputError('InvalidArgument', 'readAll types', 'must be an array of strings');
  }
  return {
    ...checkAsOf(options.asOf, 'readAll', false),
    from: positiveInteger(options.from, 1, 'readAll from', 0),
    limit: positiveInteger(options.limit, Number.MAX_SAFE_INTEGER, 'readAll limit', 0),
    streamPrefix: streamPrefix === '' ? undefined : streamPrefix,
    types,
    ...batchSizes(options.batchSize, 'readAll batchSize'),
  };
}

function batchSizes(given: unknown, where: string): { batchSize: number; maxBatchSize: number } {
  if (given === undefined) return { batchSize: defaultBatchSize, maxBatchSize: grownBatchSize };
  const batchSize = positiveInteger(given, defaultBatchSize, where);
  return { batchSize, maxBatchSize: batchSize };
}

/**
 * Yields rows fetched `batchSize` at a time until a short batch or `limit`; `fetch` is given how many rows to
 * fetch and keeps its own cursor. After each batch the next may be twice as large, up to `maxBatchSize` (default:
 * no growth).
 *
 * `prefetch` (for a store whose fetch is a round trip to a server) is how many batches to ask for ahead: with 1,
 * a full batch starts the fetch of the next as soon as it arrives, so the server reads batch n + 1 while the
 * caller works through batch n. With 2 or more, several fetches run at once, so `fetch` must move its cursor
 * before it awaits anything (a read by ranges of versions, not by the last row seen). Memory holds the batch in
 * hand and those asked ahead.
 */
export function inBatches<T>(
  fetch: (count: number) => Promise<readonly T[]> | readonly T[],
  limit: number,
  batchSize: number,
  prefetch: boolean | number = false,
  maxBatchSize = batchSize,
): AsyncGenerator<T> {
  return new BatchIterator(fetch, limit, batchSize, Number(prefetch), maxBatchSize);
}

const finished: IteratorReturnResult<undefined> = { value: undefined, done: true };

// Not an async generator: a replay takes one `next()` per event, and serving it from the batch in hand with an
// already resolved promise costs a fraction of a generator's resume and yield (measured in docs/benchmarks.md).
class BatchIterator<T> implements AsyncGenerator<T> {
  private rows: readonly T[] = [];
  private index = 0;
  private done = false;
  private fetching: Promise<IteratorResult<T>> | undefined;
  // The batches already asked for, in order (prefetch only).
  private ahead: { count: number; rows: Promise<readonly T[]> }[] = [];

  constructor(
    private readonly fetch: (count: number) => Promise<readonly T[]> | readonly T[],
    private left: number,
    private batchSize: number,
    private readonly prefetch: number,
    private readonly maxBatchSize: number,
  ) {}

  next(): Promise<IteratorResult<T>> {
    if (this.done) return Promise.resolve(finished);
    // Calls made while a batch is on its way are served in order, after it (or told the end, if it failed).
    if (this.fetching) return this.fetching.then(this.again, this.again);
    if (this.index < this.rows.length)
      return Promise.resolve({ value: this.rows[this.index++] as T, done: false });
    if (this.left <= 0) {
      this.stop();
      return Promise.resolve(finished);
    }
    this.fetching = this.refill();
    return this.fetching;
  }

  private readonly again = (): Promise<IteratorResult<T>> => this.next();

  async return(): Promise<IteratorResult<T>> {
    this.stop();
    return finished;
  }

  async throw(error: unknown): Promise<IteratorResult<T>> {
    this.stop();
    throw error;
  }

  [Symbol.asyncIterator](): AsyncGenerator<T> {
    return this;
  }

  private async refill(): Promise<IteratorResult<T>> {
    try {
      const first = this.ahead.shift() ?? this.ask();
      const rows = await first.rows;
      if (rows.length < first.count) {
        this.left = 0;
        this.ahead = [];
      } else {
        this.left -= rows.length;
      }
      this.rows = rows;
      this.index = 0;
      // Ask ahead only once a batch came back full: most reads are one short batch.
      while (this.ahead.length < this.prefetch && this.planned() > 0) {
        const asked = this.ask();
        // Handled when the batch is asked for; a reader that stops first never sees the failure.
        asked.rows.catch(() => {});
        this.ahead.push(asked);
      }
    } catch (error) {
      this.stop();
      throw error;
    } finally {
      this.fetching = undefined;
    }
    return this.next();
  }

  /** Rows not yet in hand nor asked for. */
  private planned(): number {
    return this.ahead.reduce((left, a) => left - a.count, this.left);
  }

  /** The next batch's fetch: as large as the batch size allows, which then doubles, up to its bound. */
  private ask(): { count: number; rows: Promise<readonly T[]> } {
    const count = Math.min(this.batchSize, this.planned());
    this.batchSize = Math.min(this.maxBatchSize, this.batchSize * 2);
    // A fetch that throws at once fails its own batch, when that batch is asked for.
    return { count, rows: new Promise<readonly T[]>((resolve) => resolve(this.fetch(count))) };
  }

  private stop(): void {
    this.done = true;
    this.ahead = [];
    this.rows = [];
    this.index = 0;
  }
}
