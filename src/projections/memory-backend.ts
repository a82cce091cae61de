import type { RecordedEvent } from '../events/event.js';
import { type ProjectionBackend, type ProjectionCopy, ProjectionHandlerError } from './backend.js';
import type { MemoryProjection, ProjectionDefinition } from './projection.js';

interface MemoryCopy<State> extends ProjectionCopy {
  readonly view: { readonly state: State };
}

function createCopy<State>(projection: MemoryProjection<State>, onActivate: (c: MemoryCopy<State>) => void) {
  let state = projection.initialState();
  let position = 0;
  const copy: MemoryCopy<State> = {
    version: projection.version,
    view: {
      get state() {
        return state;
      },
    },
    async position() {
      return position;
    },
    async applyBatch(events: readonly RecordedEvent[], to: number) {
      for (const event of events) {
        try {
          state = projection.evolve(state, event);
        } catch (error) {
          throw new ProjectionHandlerError(event, error);
        }
        position = event.position;
      }
      position = Math.max(position, to);
    },
    async activate() {
      onActivate(copy);
    },
    async drop() {
      state = projection.initialState();
    },
  };
  return copy;
}

/**
 * Holds in-memory projections. A memory view has no durable checkpoint: each run of the process builds it
 * from the log. `evolve` may return a new state or the same object changed in place.
 */
export function memoryProjectionBackend(): ProjectionBackend & {
  /** The live state of an in-memory projection. */
  stateOf<State>(projection: MemoryProjection<State>): State | undefined;
} {
  const active = new Map<string, MemoryCopy<unknown>>();
  const asMemory = (p: ProjectionDefinition) => p as MemoryProjection<unknown>;
  return {
    kind: 'memory',
    async openActive(p) {
      const copy = active.get(p.name);
      return copy && copy.version === p.version ? copy : undefined;
    },
    async activeVersion(p) {
      return active.get(p.name)?.version;
    },
    async createCopy(p) {
      return createCopy(asMemory(p), (c) => active.set(p.name, c));
    },
    async createTemporaryCopy(p) {
      return createCopy(asMemory(p), () => {});
    },
    async recordSkip() {
      // Nothing durable to record: the skip is applied to this run's view only.
    },
    async activePosition(p) {
      return (await active.get(p.name)?.position()) ?? 0;
    },
    stateOf<State>(p: MemoryProjection<State>) {
      return active.get(p.name)?.view.state as State | undefined;
    },
  };
}
