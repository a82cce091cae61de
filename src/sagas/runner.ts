import { setMaxListeners } from 'node:events';
import type { EventMetadata, RecordedEvent } from '../events/event.js';
import { type Ownership, soleOwnership } from '../projections/ownership.js';
import type { EventStore } from '../store/event-store.js';
import { subscribe } from '../subscriptions/subscribe.js';
import { sleep } from '../time/sleep.js';
import { type SagaEventType, sagaEndTypes } from './events.js';
import { runSaga } from './execute.js';
import { loadSaga, requestSaga, type StartedSaga, startSaga } from './load.js';
import type { SagaDefinition } from './saga.js';
import type { SagaState } from './state.js';

export interface SagaRunnerOptions {
  /** Which process runs each kind of saga when several share the database; default: this one. */
  ownership?: Ownership;
  /** Sagas of one kind run at once (each waits on its own steps); default 64. */
  concurrency?: number;
  /** How often to look for new sagas and requests without a wake-up; default 250 ms. */
  pollIntervalMs?: number;
  /** How often, at most, the runner records how far back it must look after a restart; default 5 s. */
  checkpointEveryMs?: number;
  /** Told of errors of the runner itself (a store that cannot be reached); the runner retries. */
  onError?: (saga: string, error: unknown) => void;
}

/** What a runner reports about one kind of saga. */
export interface SagaRunnerStatus {
  saga: string;
  /** `standby` while another process owns this kind of saga. */
  state: 'stopped' | 'standby' | 'running';
  /** Sagas started and not ended (stuck ones included). */
  active: number;
  /** Sagas being run now. */
  running: number;
  stuck: string[];
  /** How far the runner has read the log. */
  position: number;
}

/**
 * Runs sagas durably: finds the unfinished ones after a restart, starts the ones triggered by events, runs each
 * to its end, and acts on cancel and retry requests. Under an `Ownership` (PostgreSQL's advisory locks), one
 * process at a time runs each kind of saga, and another takes over when it dies.
 *
 * @example
 * const runner = createSagaRunner(store, [transfer]);
 * await runner.start();
 * await runner.startSaga(transfer, 't-1', { from: 'a', to: 'b', amount: 500 }, { actor: 'alice' });
 * const state = await runner.waitFor(transfer, 't-1');
 */
export interface SagaRunner {
  start(): Promise<void>;
  /** Stops every saga between steps (a step cut short runs again on the next start) and waits for them. */
  stop(): Promise<void>;
  /** Starts a saga (idempotent by id) and, when this process owns its kind, begins running it at once. */
  startSaga<Input>(
    saga: SagaDefinition<Input>,
    sagaId: string,
    input: Input,
    metadata?: EventMetadata,
  ): Promise<StartedSaga>;
  /** Asks a running saga to stop and compensate (ignored past its pivot). */
  cancel(saga: string, sagaId: string, by: { actor: string; reason: string }): Promise<SagaState>;
  /** Asks a stuck saga to try its step again. */
  retry(saga: string, sagaId: string, by: { actor: string; reason: string }): Promise<SagaState>;
  get(saga: string, sagaId: string): Promise<SagaState>;
  /** Resolves once the saga has ended or is stuck. */
  waitFor(saga: string, sagaId: string, options?: { timeoutMs?: number }): Promise<SagaState>;
  status(): SagaRunnerStatus[];
}

interface Kind {
  definition: SagaDefinition<unknown>;
  prefix: string;
  state: SagaRunnerStatus['state'];
  position: number;
  /** Unended sagas by id → the position of their start (they hold back the checkpoint). */
  active: Map<string, number>;
  /** Ended here before the log reader reached their start: their start is skipped when read. */
  ended: Set<string>;
  stuck: Set<string>;
  running: Map<string, { again: boolean; wake?: () => void }>;
  queue: Set<string>;
  signal?: AbortSignal;
  executions: Set<Promise<void>>;
}

const checkpointType = 'SagaCheckpoint';

const ended = (state: SagaState) =>
  state.status === 'completed' || state.status === 'compensated' || state.status === 'failed';

/** Runs sagas of the given kinds against a store. */
export function createSagaRunner(
  store: EventStore,
  sagas: readonly SagaDefinition<unknown>[],
  options: SagaRunnerOptions = {},
): SagaRunner {
  const ownership = options.ownership ?? soleOwnership;
  const concurrency = options.concurrency ?? 64;
  const checkpointEveryMs = options.checkpointEveryMs ?? 5000;
  const onError = options.onError ?? (() => {});
  const kinds = new Map<string, Kind>();
  for (const definition of sagas) {
    if (kinds.has(definition.name)) throw new Error(`two sagas are named ${definition.name}`);
    kinds.set(definition.name, {
      definition,
      prefix: `saga:${definition.name}:`,
      state: 'stopped',
      position: 0,
      active: new Map(),
      ended: new Set(),
      stuck: new Set(),
      running: new Map(),
      queue: new Set(),
      executions: new Set(),
    });
  }
  const waiters = new Map<string, Set<(state: SagaState) => void>>();
  const notify = (kind: string, sagaId: string, state: SagaState) => {
    for (const wake of waiters.get(`${kind}\u0000${sagaId}`) ?? []) wake(state);
  };
  let controller = new AbortController();
  let loops: Promise<void>[] = [];

  const kindOf = (name: string): Kind => {
    const kind = kinds.get(name);
    if (!kind) throw new Error(`no saga named ${name} is run by this runner`);
    return kind;
  };

  const launch = (kind: Kind, sagaId: string) => {
    const signal = kind.signal;
    if (!signal || signal.aborted) return;
    const current = kind.running.get(sagaId);
    if (current) {
      current.again = true;
      current.wake?.();
      return;
    }
    if (kind.running.size >= concurrency) {
      kind.queue.add(sagaId);
      return;
    }
    const entry: { again: boolean; wake?: () => void } = { again: false };
    kind.running.set(sagaId, entry);
    const execution = (async () => {
      try {
        do {
          entry.again = false;
          const state = await runSaga(store, kind.definition, sagaId, {
            signal,
            onWake: (wake) => {
              entry.wake = wake;
            },
            onRecord: (state) => {
              if (state.status === 'stuck') kind.stuck.add(sagaId);
              notify(kind.definition.name, sagaId, state);
            },
          });
          if (state.status === 'stuck') kind.stuck.add(sagaId);
          else kind.stuck.delete(sagaId);
          if (ended(state)) {
            // Ended before the log reader reached its start: the reader must not start it again.
            const start = kind.active.get(sagaId);
            if (start !== undefined && start > kind.position) kind.ended.add(sagaId);
            kind.active.delete(sagaId);
          }
        } while (entry.again && !signal.aborted);
      } catch (error) {
        if (!signal.aborted) {
          onError(kind.definition.name, error);
          await sleep(1000, signal);
          kind.queue.add(sagaId);
        }
      } finally {
        kind.running.delete(sagaId);
        const next = kind.queue.values().next();
        if (!next.done) {
          kind.queue.delete(next.value);
          launch(kind, next.value);
        }
      }
    })();
    kind.executions.add(execution);
    void execution.finally(() => kind.executions.delete(execution));
  };

  const follow = async (kind: Kind, signal: AbortSignal) => {
    const { definition, prefix } = kind;
    const checkpointStream = `saga-checkpoint:${definition.name}`;
    let checkpoint = 0;
    for await (const e of store.readStream(checkpointStream, { direction: 'backwards', limit: 1 })) {
      checkpoint = (e.data as { position: number }).position;
    }
    kind.active.clear();
    kind.ended.clear();
    kind.stuck.clear();
    kind.position = checkpoint;
    let lastCheckpointAt = Date.now();
    const triggers = definition.triggers ?? [];
    const types = new Set<string>([
      'SagaStarted',
      ...sagaEndTypes,
      'SagaRetryRequested',
      'SagaCancelRequested',
      'SagaStuck',
      ...triggers.flatMap((t) => t.types),
    ]);
    const subscription = subscribe(store, {
      after: checkpoint,
      types: [...types],
      signal,
      pollIntervalMs: options.pollIntervalMs,
    });
    // Only sagas of this kind move the checkpoint: its own events must not keep it writing while idle.
    let moved = false;
    for await (const batch of subscription) {
      for (const event of batch.events) {
        if (event.streamId.startsWith(prefix)) {
          moved = true;
          onSagaEvent(kind, event.streamId.slice(prefix.length), event);
        }
        for (const trigger of triggers) {
          if (!trigger.types.includes(event.type)) continue;
          if (trigger.streamPrefix !== undefined && !event.streamId.startsWith(trigger.streamPrefix))
            continue;
          const started = trigger.start(event);
          if (!started) continue;
          moved = true;
          await startSaga(store, definition, started.sagaId, started.input, {
            ...(event.metadata.actor === undefined ? {} : { actor: event.metadata.actor }),
            correlationId: event.metadata.correlationId ?? event.id,
            causationId: event.id,
          });
        }
      }
      kind.position = batch.position;
      if (moved && Date.now() - lastCheckpointAt >= checkpointEveryMs) {
        let low = batch.position;
        for (const start of kind.active.values()) low = Math.min(low, start - 1);
        if (low > checkpoint) {
          await store.appendToStream(checkpointStream, [{ type: checkpointType, data: { position: low } }]);
          checkpoint = low;
        }
        lastCheckpointAt = Date.now();
        moved = false;
      }
    }
  };

  const onSagaEvent = (kind: Kind, sagaId: string, event: RecordedEvent) => {
    const type = event.type as SagaEventType;
    if (type === 'SagaStarted') {
      if (kind.ended.has(sagaId) || kind.active.has(sagaId)) return;
      kind.active.set(sagaId, event.position);
      launch(kind, sagaId);
    } else if (sagaEndTypes.includes(type)) {
      kind.active.delete(sagaId);
      kind.ended.delete(sagaId);
      kind.stuck.delete(sagaId);
    } else if (type === 'SagaStuck') {
      if (kind.active.has(sagaId)) kind.stuck.add(sagaId);
    } else if (kind.active.has(sagaId)) {
      launch(kind, sagaId);
    }
  };

  const loop = async (kind: Kind, stop: AbortSignal) => {
    while (!stop.aborted) {
      kind.state = 'standby';
      let lease: Awaited<ReturnType<Ownership['acquire']>>;
      try {
        lease = await ownership.acquire(`saga:${kind.definition.name}`, stop);
      } catch (error) {
        if (stop.aborted) break;
        onError(kind.definition.name, error);
        await sleep(1000, stop);
        continue;
      }
      const local = AbortSignal.any([stop, lease.lost]);
      // Every running saga listens to it.
      setMaxListeners(0, local);
      kind.signal = local;
      kind.state = 'running';
      let failed = false;
      try {
        await follow(kind, local);
      } catch (error) {
        if (!local.aborted) {
          onError(kind.definition.name, error);
          failed = true;
        }
      } finally {
        kind.signal = undefined;
        await Promise.allSettled([...kind.executions]);
        kind.queue.clear();
        await lease.release().catch((error: unknown) => onError(kind.definition.name, error));
      }
      // After the release, not before: an owner that cannot work (its store closed or unreachable) would hold the
      // lease through the pause and take it back at once, and a process on standby could wait for it forever.
      if (failed) await sleep(1000, stop);
    }
    kind.state = 'stopped';
  };

  return {
    async start() {
      if (loops.length > 0) return;
      controller = new AbortController();
      loops = [...kinds.values()].map((kind) => loop(kind, controller.signal));
    },

    async stop() {
      controller.abort();
      await Promise.allSettled(loops);
      loops = [];
    },

    async startSaga(saga, sagaId, input, metadata) {
      const kind = kindOf(saga.name);
      const started = await startSaga(store, saga, sagaId, input, metadata);
      if (started.created && kind.signal && !kind.signal.aborted) {
        kind.active.set(sagaId, started.position);
        launch(kind, sagaId);
      }
      return started;
    },

    async cancel(saga, sagaId, by) {
      const kind = kindOf(saga);
      const state = await requestSaga(store, saga, sagaId, { kind: 'cancel', ...by });
      if (kind.active.has(sagaId)) launch(kind, sagaId);
      return state;
    },

    async retry(saga, sagaId, by) {
      const kind = kindOf(saga);
      const state = await requestSaga(store, saga, sagaId, { kind: 'retry', ...by });
      kind.stuck.delete(sagaId);
      if (kind.active.has(sagaId)) launch(kind, sagaId);
      return state;
    },

    get(saga, sagaId) {
      kindOf(saga);
      return loadSaga(store, saga, sagaId);
    },

    async waitFor(saga, sagaId, waitOptions = {}) {
      const kind = kindOf(saga);
      const timeoutMs = waitOptions.timeoutMs ?? 30_000;
      const deadline = Date.now() + timeoutMs;
      const key = `${saga}\u0000${sagaId}`;
      const stop = new AbortController();
      let wake: (() => void) | undefined;
      let latest: SagaState | undefined;
      // This runner's own runs hand over each new state; a saga run by another process is read again on
      // every append this store hears of, and every 200 ms in any case.
      const listener = (state?: SagaState) => {
        latest = state;
        wake?.();
      };
      const set = waiters.get(key) ?? new Set();
      set.add(listener);
      waiters.set(key, set);
      const unsubscribe = kind.state === 'running' ? () => {} : store.onAppend(() => listener());
      try {
        for (;;) {
          const state = latest ?? (await loadSaga(store, saga, sagaId));
          latest = undefined;
          if (ended(state) || state.status === 'stuck') return state;
          const left = deadline - Date.now();
          if (left <= 0)
            throw new Error(`saga ${saga} ${sagaId} is still ${state.status} after ${timeoutMs} ms`);
          await sleep(Math.min(left, 200), stop.signal, (w) => {
            wake = w;
          });
        }
      } finally {
        unsubscribe();
        set.delete(listener);
        if (set.size === 0) waiters.delete(key);
      }
    },

    status() {
      return [...kinds.values()].map((kind) => ({
        saga: kind.definition.name,
        state: kind.state,
        active: kind.active.size,
        running: kind.running.size,
        stuck: [...kind.stuck],
        position: kind.position,
      }));
    },
  };
}
