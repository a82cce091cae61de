import { HindsightError } from '../events/errors.js';
import type { RecordedEvent } from '../events/event.js';
import type { AsOf, EventStore } from '../store/event-store.js';
import { subscribe } from '../subscriptions/subscribe.js';
import { sleep } from '../time/sleep.js';
import { type ProjectionBackend, type ProjectionCopy, ProjectionHandlerError } from './backend.js';
import { memoryProjectionBackend } from './memory-backend.js';
import { type Ownership, soleOwnership } from './ownership.js';
import type { ProjectionDefinition } from './projection.js';
import type { ProjectionState, ProjectionStatus } from './status.js';

export interface ProjectionRunnerOptions {
  /** Backends beyond the in-memory one (e.g. the SQLite or PostgreSQL tables of the store). */
  backends?: readonly ProjectionBackend[];
  /** Which process runs each projection when several share the database; default: this one. */
  ownership?: Ownership;
  /** Events per transaction when live; default 500. */
  batchSize?: number;
  /** Events per transaction while building a fresh copy; default 5,000. */
  rebuildBatchSize?: number;
  /** How often to look for new events without a wake-up; default 250 ms. */
  pollIntervalMs?: number;
  /**
   * When live, apply at most one batch per this many milliseconds: a busy log is then applied in fewer, larger
   * transactions (a quiet one at once). Default 5 ms; 0 applies every wake-up's events on their own.
   */
  liveIntervalMs?: number;
  /** Backoff after a failed event: doubles from `initialMs` up to `maxMs`; default 100 ms to 30 s. */
  retry?: { initialMs?: number; maxMs?: number };
  /** Told of every handler failure (the status shows the latest). */
  onError?: (projection: string, error: unknown) => void;
}

/** A view as of the past, built into a throwaway copy. */
export interface TemporaryView {
  /** The backend's handle on the view: the state (memory) or the table names (SQL). */
  view: unknown;
  position: number;
  dispose(): Promise<void>;
}

/**
 * Runs projections: each follows the log from its checkpoint, applies events in transactions with its checkpoint,
 * stops on a failing event (retrying with backoff) without stopping the others, and rebuilds into a fresh copy
 * when its version changes, swapping it in once caught up.
 *
 * @example
 * const runner = createProjectionRunner(store, [counts]);
 * await runner.start();
 * await runner.waitFor('counts', appended.position);
 */
export interface ProjectionRunner {
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): Promise<ProjectionStatus[]>;
  /** Resolves once the projection's view has applied the log up to `position`; `NotCaughtUp` after the timeout. */
  waitFor(name: string, position: number, options?: { timeoutMs?: number }): Promise<void>;
  /** Builds a fresh copy from position 1 beside the live one and swaps it in when caught up. */
  rebuild(name: string): Promise<void>;
  /** Skips the event a failed projection is stuck on, recording who did it and why. */
  skip(name: string, by: { actor: string; reason: string }): Promise<void>;
  /** Retries a failed projection now instead of after its backoff. */
  retryNow(name: string): void;
  /** Builds the projection as of a past position or instant into a throwaway view. */
  buildAsOf(name: string, asOf: AsOf): Promise<TemporaryView>;
}

/** The projection is behind the position a reader asked for, past the reader's timeout. */
export class NotCaughtUpError extends HindsightError {
  constructor(
    readonly projection: string,
    readonly wanted: number,
    readonly reached: number,
  ) {
    super('NotCaughtUp', `projection ${projection} has reached position ${reached}, not ${wanted}`);
  }
}

type Failure = NonNullable<ProjectionStatus['failure']>;

interface Running {
  definition: ProjectionDefinition;
  backend: ProjectionBackend;
  state: ProjectionState;
  active?: ProjectionCopy;
  activeVersion?: number;
  position: number;
  failure?: Failure;
  rebuild?: { copy: ProjectionCopy; position: number; head: number };
  skipRequested?: { actor: string; reason: string };
  wakeRetry?: () => void;
  progress: Set<() => void>;
  controller: AbortController;
  done?: Promise<void>;
}

export function createProjectionRunner(
  store: EventStore,
  projections: readonly ProjectionDefinition[],
  options: ProjectionRunnerOptions = {},
): ProjectionRunner {
  const backends = new Map<string, ProjectionBackend>();
  for (const b of [memoryProjectionBackend(), ...(options.backends ?? [])]) backends.set(b.kind, b);
  const ownership = options.ownership ?? soleOwnership;
  const batchSize = options.batchSize ?? 500;
  const rebuildBatchSize = options.rebuildBatchSize ?? 5000;
  const initialRetryMs = options.retry?.initialMs ?? 100;
  const maxRetryMs = options.retry?.maxMs ?? 30_000;

  const running = new Map<string, Running>();
  for (const definition of projections) {
    if (running.has(definition.name)) throw new Error(`two projections are named ${definition.name}`);
    const backend = backends.get(definition.kind);
    if (!backend) throw new Error(`no backend for projection ${definition.name} of kind ${definition.kind}`);
    running.set(definition.name, {
      definition,
      backend,
      state: 'stopped',
      position: 0,
      progress: new Set(),
      controller: new AbortController(),
    });
  }

  const get = (name: string): Running => {
    const r = running.get(name);
    if (!r) throw new Error(`no projection named ${name}`);
    return r;
  };

  const advanced = (r: Running) => {
    for (const listener of r.progress) listener();
  };

  /** Applies one batch, waiting out failures: retried with backoff until it succeeds or an operator skips. */
  async function applyWithRetry(
    r: Running,
    copy: ProjectionCopy,
    events: readonly RecordedEvent[],
    position: number,
    signal: AbortSignal,
  ): Promise<boolean> {
    let remaining = events;
    let attempts = 0;
    while (!signal.aborted) {
      try {
        await copy.applyBatch(remaining, position);
        r.failure = undefined;
        return true;
      } catch (error) {
        if (signal.aborted) return false;
        const failed = error instanceof ProjectionHandlerError ? error.event : remaining[0];
        if (!failed) throw error;
        remaining = remaining.slice(remaining.indexOf(failed));
        if (copy === r.active) {
          // The events before the failing one were kept: the view and its position moved that far.
          r.position = await copy.position();
          advanced(r);
        }
        attempts++;
        const delay = Math.min(maxRetryMs, initialRetryMs * 2 ** (attempts - 1));
        const cause = error instanceof ProjectionHandlerError ? error.error : error;
        r.failure = {
          position: failed.position,
          eventId: failed.id,
          eventType: failed.type,
          error: String(cause),
          attempts,
          nextRetryAt: new Date(Date.now() + delay),
        };
        options.onError?.(r.definition.name, cause);
        await sleep(delay, signal, (wake) => {
          r.wakeRetry = wake;
        });
        r.wakeRetry = undefined;
        if (r.skipRequested) {
          const by = r.skipRequested;
          r.skipRequested = undefined;
          await r.backend.recordSkip(r.definition, {
            position: failed.position,
            eventId: failed.id,
            error: String(cause),
            actor: by.actor,
            reason: by.reason,
            at: new Date(),
          });
          remaining = remaining.slice(1);
          attempts = 0;
        }
      }
    }
    return false;
  }

  /**
   * Follows the log into a copy until the signal aborts. `live` and `catch-up` move the copy queries read
   * (`catch-up` in rebuild-sized batches, returning once at the head); `rebuild` fills a fresh copy up to the head.
   */
  async function follow(
    r: Running,
    copy: ProjectionCopy,
    signal: AbortSignal,
    mode: 'live' | 'catch-up' | 'rebuild',
  ): Promise<void> {
    const size = mode === 'live' ? batchSize : rebuildBatchSize;
    const subscription = subscribe(store, {
      after: await copy.position(),
      types: r.definition.handles,
      streamPrefix: r.definition.streamPrefix,
      batchSize: size,
      pollIntervalMs: options.pollIntervalMs,
      minIntervalMs: mode === 'live' ? (options.liveIntervalMs ?? 5) : 0,
      signal,
    });
    for await (const batch of subscription) {
      if (!(await applyWithRetry(r, copy, batch.events, batch.position, signal))) return;
      if (mode !== 'rebuild') {
        r.position = batch.position;
        // A short batch means the subscription reached the head it saw.
        r.state = batch.events.length < size ? 'live' : 'catching_up';
        advanced(r);
        if (mode === 'catch-up' && batch.events.length < size) return;
      } else if (r.rebuild) {
        r.rebuild.position = batch.position;
        const head = await store.headPosition();
        r.rebuild.head = head;
        if (batch.position >= head) return;
      }
    }
  }

  /** Builds a fresh copy up to the head; the caller swaps it in. Undefined (and dropped) when stopped first. */
  async function build(r: Running, signal: AbortSignal): Promise<ProjectionCopy | undefined> {
    const fresh = await r.backend.createCopy(r.definition);
    r.rebuild = { copy: fresh, position: 0, head: await store.headPosition() };
    try {
      await follow(r, fresh, signal, 'rebuild');
    } finally {
      r.rebuild = undefined;
    }
    if (!signal.aborted) return fresh;
    await fresh.drop();
    return undefined;
  }

  async function run(r: Running): Promise<void> {
    const signal = r.controller.signal;
    r.state = 'standby';
    const lease = await ownership.acquire(r.definition.name, signal).catch(() => undefined);
    if (!lease) return;
    const stop = AbortSignal.any([signal, lease.lost]);
    try {
      r.state = 'starting';
      let active = await r.backend.openActive(r.definition);
      r.activeVersion = await r.backend.activeVersion(r.definition);
      if (!active && r.activeVersion === undefined) {
        // Nothing to serve meanwhile: the first copy serves queries at once, while it catches up.
        active = await r.backend.createCopy(r.definition);
        await active.activate();
      } else if (!active) {
        r.state = 'rebuilding';
        active = await build(r, stop);
        if (!active) return;
        await active.activate();
      }
      r.active = active;
      r.activeVersion = active.version;
      r.position = await active.position();
      const head = await store.headPosition();
      // Started at the head already: live now, not only once the next event arrives.
      r.state = r.position >= head ? 'live' : 'catching_up';
      advanced(r);
      // Far behind (a first build, a long stop): catch up in rebuild-sized batches, then follow live.
      if (head - r.position > batchSize) await follow(r, active, stop, 'catch-up');
      await follow(r, active, stop, 'live');
    } finally {
      await lease.release().catch(() => {});
      r.state = 'stopped';
      r.active = undefined;
      // When the lease was lost, another process may take over; this one goes back to waiting for it.
      if (lease.lost.aborted && !signal.aborted) await run(r);
    }
  }

  /** Runs a projection; an error outside any handler (the database went away) is shown, then retried. */
  async function guarded(r: Running): Promise<void> {
    let attempts = 0;
    while (!r.controller.signal.aborted) {
      try {
        await run(r);
        return;
      } catch (error) {
        attempts++;
        const delay = Math.min(maxRetryMs, initialRetryMs * 2 ** (attempts - 1));
        r.failure = {
          position: r.position + 1,
          eventId: '',
          eventType: '',
          error: String(error),
          attempts,
          nextRetryAt: new Date(Date.now() + delay),
        };
        options.onError?.(r.definition.name, error);
        await sleep(delay, r.controller.signal);
      }
    }
  }

  return {
    async start() {
      for (const r of running.values()) {
        if (r.done) continue;
        r.controller = new AbortController();
        r.done = guarded(r);
      }
    },

    async stop() {
      for (const r of running.values()) r.controller.abort();
      await Promise.all([...running.values()].map((r) => r.done));
      for (const r of running.values()) r.done = undefined;
    },

    async status() {
      const head = await store.headPosition();
      return Promise.all([...running.values()].map((r) => statusOf(store, r, head)));
    },

    async waitFor(name, position, { timeoutMs = 5000 } = {}) {
      const r = get(name);
      const deadline = Date.now() + timeoutMs;
      while (true) {
        const reached = r.active ? r.position : await r.backend.activePosition(r.definition);
        if (reached >= position) return;
        const left = deadline - Date.now();
        if (left <= 0) throw new NotCaughtUpError(name, position, reached);
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            r.progress.delete(done);
            resolve();
          };
          // Progress made here wakes the reader at once; another process's is seen by polling.
          const timer = setTimeout(done, Math.min(left, r.active ? left : 25));
          r.progress.add(done);
        });
      }
    },

    async rebuild(name) {
      const r = get(name);
      if (r.rebuild) throw new Error(`projection ${name} is already rebuilding`);
      // Only the process running the projection may swap its copy: elsewhere it would drop the owner's tables.
      if (!r.active) {
        throw new Error(
          `projection ${name} is not running in this process (${r.state}): rebuild it where it runs`,
        );
      }
      // The live loop keeps the old copy current while the fresh one is built beside it.
      const fresh = await build(r, r.controller.signal);
      if (!fresh) return;
      r.controller.abort();
      await r.done;
      await fresh.activate();
      r.controller = new AbortController();
      r.done = guarded(r);
      // Resolve once the fresh copy is followed again, so that the caller (an operator's next rebuild, say)
      // finds the projection running, not starting; unless it fails or stops first, or another process took its
      // lease in the moment it was let go (then the wait ends after 5 s).
      const restarted = r.controller.signal;
      const deadline = Date.now() + 5000;
      while (!r.active && !r.failure && !restarted.aborted && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            r.progress.delete(done);
            resolve();
          };
          const timer = setTimeout(done, 10);
          r.progress.add(done);
        });
      }
    },

    async skip(name, by) {
      const r = get(name);
      if (!r.failure) throw new Error(`projection ${name} is not failed: nothing to skip`);
      r.skipRequested = by;
      r.wakeRetry?.();
    },

    retryNow(name) {
      get(name).wakeRetry?.();
    },

    async buildAsOf(name, asOf) {
      const r = get(name);
      const copy = await r.backend.createTemporaryCopy(r.definition);
      try {
        let position = 0;
        let batch: RecordedEvent[] = [];
        for await (const event of store.readAll({
          asOf,
          types: r.definition.handles,
          streamPrefix: r.definition.streamPrefix,
          batchSize: rebuildBatchSize,
        })) {
          batch.push(event);
          position = event.position;
          if (batch.length === rebuildBatchSize) {
            await copy.applyBatch(batch, position);
            batch = [];
          }
        }
        await copy.applyBatch(batch, position);
        return { view: copy.view, position, dispose: () => copy.drop() };
      } catch (error) {
        await copy.drop();
        throw error;
      }
    },
  };
}

async function statusOf(store: EventStore, r: Running, head: number): Promise<ProjectionStatus> {
  const position = r.active ? r.position : await r.backend.activePosition(r.definition);
  let lagMs = 0;
  if (position < head) {
    for await (const next of store.readAll({ from: position + 1, limit: 1 })) {
      lagMs = Math.max(0, Date.now() - next.recordedAt.getTime());
    }
  }
  const status: ProjectionStatus = {
    name: r.definition.name,
    version: r.activeVersion,
    state: r.failure ? 'failed' : r.rebuild ? 'rebuilding' : r.state,
    position,
    headPosition: head,
    lagEvents: Math.max(0, head - position),
    lagMs,
  };
  if (r.failure) status.failure = { ...r.failure };
  if (r.rebuild) {
    const { copy, position: at, head: target } = r.rebuild;
    status.rebuild = {
      version: copy.version,
      position: at,
      headPosition: target,
      progress: target === 0 ? 1 : Math.min(1, at / target),
    };
  }
  return status;
}
