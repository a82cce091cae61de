import type { RecordedEvent } from '../events/event.js';

/** What every projection declares, whatever holds its view. */
export interface ProjectionInfo {
  /** Unique among the projections of a store; names its checkpoint and its tables. */
  name: string;
  /** Bump it when the handler or the view's shape changes: a fresh copy is built from position 1 and swapped in. */
  version: number;
  /** The event types it handles; all when omitted. */
  handles?: readonly string[];
  /** Only events of streams whose id starts with this. */
  streamPrefix?: string;
}

/** Where a projection's view lives decides how it is applied; each backend handles its own `kind`. */
export interface ProjectionDefinition extends ProjectionInfo {
  readonly kind: string;
}

/**
 * A view held in memory: rebuilt from the log each time the runner starts, and at least as fresh as
 * its position once running.
 *
 * @example
 * const counts = memoryProjection({
 *   name: 'counts', version: 1, initialState: () => new Map<string, number>(),
 *   evolve: (m, e) => m.set(e.type, (m.get(e.type) ?? 0) + 1),
 * });
 */
export interface MemoryProjection<State> extends ProjectionDefinition {
  readonly kind: 'memory';
  initialState: () => State;
  evolve: (state: State, event: RecordedEvent) => State;
}

/** Declares an in-memory projection. */
export function memoryProjection<State>(
  definition: Omit<MemoryProjection<State>, 'kind'>,
): MemoryProjection<State> {
  return { ...definition, kind: 'memory' };
}
