import { randomUUID } from 'node:crypto';
import { type Decider, decisionEvents, fold, type Message } from '../decider/decider.js';
import {
  IdempotencyKeyReusedError,
  isHindsightError,
  TooManyConflictsError,
  WrongExpectedVersionError,
} from '../events/errors.js';
import type { EventMetadata, ExpectedVersion, NewEvent, RecordedEvent } from '../events/event.js';
import type { SnapshotPolicy } from '../snapshots/policy.js';
import type { EventStore } from '../store/event-store.js';
import { commandFingerprint, deriveEventId } from './event-ids.js';
import { foldFrom, type LoadedState, loadState } from './load-state.js';
import { saveSnapshotIfDue } from './save-snapshot.js';
import { LruStateCache, type StateCache } from './state-cache.js';
import { StreamLocks } from './stream-lock.js';

export interface HandleCommandOptions<State> {
  /**
   * The version the caller saw (an HTTP `If-Match`, say). When given, a mismatch is the caller's conflict:
   * `WrongExpectedVersion` is thrown at once, without deciding or retrying.
   */
  expectedVersion?: ExpectedVersion;
  /** Makes the command safe to retry: the same key again returns the first result and appends nothing. */
  idempotencyKey?: string;
  /** Put on every event: `actor`, `correlationId`, `causationId` and any keys of the caller's. */
  metadata?: EventMetadata;
  snapshots?: SnapshotPolicy<State>;
  /**
   * Start from the state the last command on this stream left (`createStateCache`), reading only the events
   * after it, instead of loading a snapshot and its tail.
   */
  cache?: StateCache<State>;
  /** How many times to load and decide when concurrent writers win the race; default 20. */
  maxAttempts?: number;
}

/** An event the command emitted, as stored. */
export type EmittedEvent<Event extends Message> = Event & {
  id: string;
  metadata: EventMetadata;
  streamVersion: number;
};

export interface CommandResult<Event extends Message, State> {
  state: State;
  events: EmittedEvent<Event>[];
  /** The stream's version after the command. */
  streamVersion: number;
  /** The global position of the command's last event (of the stream's last event when it emitted none). */
  position: number;
  /** True when the idempotency key matched an earlier command: its result is returned, nothing appended. */
  replayed: boolean;
  /** How many times the command was decided (1 unless concurrent writers forced a retry). */
  attempts: number;
}

/**
 * Loads a stream's state, decides, and appends the events with the loaded version as the expected one;
 * when a concurrent writer gets there first, it loads and decides again (with jittered backoff). Commands on
 * one stream through one store object take turns, so retries are left to writers in other processes.
 *
 * @example
 * const { state, streamVersion } = await handleCommand(store, 'account-1', account,
 *   { type: 'Deposit', data: { amount: 5000 } }, { metadata: { actor: 'alice' }, idempotencyKey: requestId });
 */
export function handleCommand<Command extends Message, Event extends Message, State>(
  store: EventStore,
  streamId: string,
  decider: Decider<Command, Event, State>,
  command: Command,
  options: HandleCommandOptions<State> = {},
): Promise<CommandResult<Event, State>> {
  let locks = locksByStore.get(store);
  if (!locks) {
    locks = new StreamLocks();
    locksByStore.set(store, locks);
  }
  return locks.run(streamId, () => decideAndAppend(store, streamId, decider, command, options));
}

// Commands on one stream through one store object take turns; see StreamLocks.
const locksByStore = new WeakMap<EventStore, StreamLocks>();

async function decideAndAppend<Command extends Message, Event extends Message, State>(
  store: EventStore,
  streamId: string,
  decider: Decider<Command, Event, State>,
  command: Command,
  options: HandleCommandOptions<State>,
): Promise<CommandResult<Event, State>> {
  const maxAttempts = options.maxAttempts ?? 20;
  const cache = options.cache instanceof LruStateCache ? (options.cache as LruStateCache<State>) : undefined;
  const key = options.idempotencyKey;
  const fingerprint = key === undefined ? undefined : commandFingerprint(command);
  const commandId = randomUUID();
  let lastConflict: unknown;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (key !== undefined) {
      const earlier = await replayEarlier(store, streamId, decider, key, fingerprint as string, options);
      if (earlier) return { ...earlier, attempts: attempt };
    }
    const cached = cache?.take(store, decider, streamId);
    // On the first try a cached state is used as it is: the append expects its version, so a decision on a state
    // another process has since moved on can never commit. After a conflict, read what was appended since.
    let loaded = cached
      ? attempt === 1
        ? cached
        : await foldFrom(store, streamId, decider, cached)
      : await loadState(store, streamId, decider, { snapshots: options.snapshots });
    let verified = !cached || attempt > 1;
    // Kept even when the command is refused: the next one starts from here.
    if (verified) cache?.keep(store, decider, streamId, loaded);
    const expected = options.expectedVersion;
    let decided: readonly Event[];
    for (;;) {
      let refusal: unknown;
      try {
        if (typeof expected === 'number' && expected !== loaded.streamVersion) {
          throw new WrongExpectedVersionError(streamId, expected, loaded.streamVersion);
        }
        decided = decisionEvents(decider.decide(command, loaded.state));
        if (decided.length > 0 || verified) break;
      } catch (error) {
        if (verified) throw error;
        refusal = error;
      }
      // A refusal, or nothing to do, decided on a cached state: no append will check that state, so the answer is
      // only as good as the state. Read what other processes appended since; unchanged, the answer stands.
      const version = loaded.streamVersion;
      loaded = await foldFrom(store, streamId, decider, loaded);
      verified = true;
      cache?.keep(store, decider, streamId, loaded);
      if (loaded.streamVersion === version) {
        if (refusal !== undefined) throw refusal;
        decided = [];
        break;
      }
    }
    if (decided.length === 0) {
      return { ...loaded, events: [], replayed: false, attempts: attempt };
    }
    const metadata: EventMetadata = {
      correlationId: commandId,
      causationId: commandId,
      ...options.metadata,
      command: command.type,
      ...(key === undefined ? {} : { idempotencyKey: key, commandFingerprint: fingerprint }),
    };
    const events: NewEvent<string, unknown>[] = decided.map((e, i) => ({
      type: e.type,
      data: e.data,
      metadata,
      id: key === undefined ? randomUUID() : deriveEventId(key, streamId, i),
    }));
    try {
      const result = await store.appendToStream(streamId, events, {
        expectedVersion: expected ?? (loaded.streamVersion === 0 ? 'no_stream' : loaded.streamVersion),
      });
      const state = fold(decider, loaded.state, decided);
      const snapshotted = await saveSnapshotIfDue(
        store,
        streamId,
        options.snapshots,
        loaded.snapshotVersion,
        state,
        result,
      );
      cache?.keep(store, decider, streamId, {
        state,
        streamVersion: result.streamVersion,
        position: result.position,
        snapshotVersion: snapshotted ? result.streamVersion : loaded.snapshotVersion,
      });
      return {
        state,
        events: decided.map((e, i) => ({
          ...e,
          id: events[i]?.id as string,
          metadata,
          streamVersion: loaded.streamVersion + i + 1,
        })),
        streamVersion: result.streamVersion,
        position: result.position,
        replayed: false,
        attempts: attempt,
      };
    } catch (error) {
      if (!retryable(error, expected, key)) throw error;
      lastConflict = error;
      await backoff(attempt);
    }
  }
  throw new TooManyConflictsError(streamId, maxAttempts, { cause: lastConflict });
}

function retryable(error: unknown, expected: ExpectedVersion | undefined, key: string | undefined): boolean {
  if (isHindsightError(error, 'WrongExpectedVersion')) return expected === undefined;
  // A twin of this command, carrying the same key, committed first: the next attempt finds and returns it.
  return key !== undefined && isHindsightError(error, 'DuplicateEventId');
}

function backoff(attempt: number): Promise<void> {
  const ceiling = Math.min(100, 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}

async function replayEarlier<Command extends Message, Event extends Message, State>(
  store: EventStore,
  streamId: string,
  decider: Decider<Command, Event, State>,
  key: string,
  fingerprint: string,
  options: HandleCommandOptions<State>,
): Promise<Omit<CommandResult<Event, State>, 'attempts'> | undefined> {
  const first = await store.readEvent(deriveEventId(key, streamId, 0));
  if (!first) return undefined;
  if (first.metadata.commandFingerprint !== fingerprint) throw new IdempotencyKeyReusedError(streamId, key);
  const emitted: RecordedEvent[] = [];
  for await (const event of store.readStream(streamId, { from: first.streamVersion })) {
    if (event.id !== deriveEventId(key, streamId, emitted.length)) break;
    emitted.push(event);
  }
  const last = emitted[emitted.length - 1] as RecordedEvent;
  const then: LoadedState<State> = await loadState(store, streamId, decider, {
    snapshots: options.snapshots,
    asOf: { version: last.streamVersion },
  });
  return {
    state: then.state,
    events: emitted.map(
      (e) =>
        ({
          type: e.type,
          data: e.data,
          id: e.id,
          metadata: e.metadata,
          streamVersion: e.streamVersion,
        }) as EmittedEvent<Event>,
    ),
    streamVersion: last.streamVersion,
    position: last.position,
    replayed: true,
  };
}
