import type { EventStore } from '../store/event-store.js';
import type { LoadedState } from './load-state.js';

/**
 * The newest state `handleCommand` knows of each stream it commands, kept in memory so the next command on the
 * stream reads only the events appended after it (usually none) instead of a snapshot and its tail. It is only
 * a starting point: every command still reads the stream from the cached version on, so writers in other
 * processes are seen, and an append still expects the version it decided on. Dropping the cache changes no
 * answer, only speed.
 *
 * One cache serves one store and one decider (it refuses another, since their states would mix). States must be
 * treated as immutable, as a decider's `evolve` treats them: the cache hands out the object it keeps.
 *
 * @example
 * const accounts = createStateCache<AccountState>({ maxStreams: 50_000 });
 * await handleCommand(store, 'account-1', account, deposit, { cache: accounts });
 */
export interface StateCache<State> {
  /** Streams held now. */
  readonly size: number;
  /** Forgets every stream, or one. */
  clear(streamId?: string): void;
  /** The newest state held of a stream, if any (for inspection: `handleCommand` keeps it current). */
  peek(streamId: string): LoadedState<State> | undefined;
}

export interface StateCacheOptions {
  /** Streams held at most; the least recently used go first. Default 10,000. */
  maxStreams?: number;
}

/**
 * A state cache for `handleCommand` (see `StateCache`).
 *
 * @example
 * const cache = createStateCache<AccountState>();
 */
export function createStateCache<State>(options: StateCacheOptions = {}): StateCache<State> {
  return new LruStateCache<State>(Math.max(1, options.maxStreams ?? 10_000));
}

/** What `handleCommand` reads and writes of a cache it was given. */
export class LruStateCache<State> implements StateCache<State> {
  // Map order is insertion order: re-inserting on use keeps the least recently used first.
  private readonly entries = new Map<string, LoadedState<State>>();
  private owner: { store: EventStore; decider: object } | undefined;

  constructor(private readonly maxStreams: number) {}

  get size(): number {
    return this.entries.size;
  }

  clear(streamId?: string): void {
    if (streamId === undefined) this.entries.clear();
    else this.entries.delete(streamId);
  }

  peek(streamId: string): LoadedState<State> | undefined {
    return this.entries.get(streamId);
  }

  /** The entry of a stream, if held, marked most recently used. */
  take(store: EventStore, decider: object, streamId: string): LoadedState<State> | undefined {
    this.checkOwner(store, decider);
    const entry = this.entries.get(streamId);
    if (entry) {
      this.entries.delete(streamId);
      this.entries.set(streamId, entry);
    }
    return entry;
  }

  keep(store: EventStore, decider: object, streamId: string, loaded: LoadedState<State>): void {
    this.checkOwner(store, decider);
    this.entries.delete(streamId);
    this.entries.set(streamId, loaded);
    if (this.entries.size > this.maxStreams) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  private checkOwner(store: EventStore, decider: object): void {
    if (!this.owner) this.owner = { store, decider };
    else if (this.owner.store !== store || this.owner.decider !== decider) {
      throw new Error('a state cache serves one store and one decider: create one cache for each pair');
    }
  }
}
