import type { RecordedEvent } from '../events/event.js';
import type { ProjectionDefinition } from './projection.js';

/** A stored record of a projection event that failed and an operator chose to skip. */
export interface SkippedEvent {
  position: number;
  eventId: string;
  error: string;
  actor: string;
  reason: string;
  at: Date;
}

/**
 * One copy of a projection's view: the live one, or a fresh one being built by a rebuild.
 * `applyBatch` applies events and moves the copy's checkpoint in one transaction where the view allows it.
 */
export interface ProjectionCopy {
  readonly version: number;
  /** How far this copy has applied the log (its durable checkpoint). */
  position(): Promise<number>;
  /**
   * Applies the events in order and sets the checkpoint to `position`, all or nothing. When an event's handler
   * throws, the events before it are kept (and the checkpoint set just before it) and a `ProjectionHandlerError`
   * naming the event is thrown.
   */
  applyBatch(events: readonly RecordedEvent[], position: number): Promise<void>;
  /** Makes this copy the one queries read, atomically, and drops the copy it replaces. */
  activate(): Promise<void>;
  /** Drops this copy's view and checkpoint. */
  drop(): Promise<void>;
}

/** Holds the views of the projections of one `kind`. */
export interface ProjectionBackend {
  readonly kind: string;
  /** The active copy, or undefined when none has been built yet (or the active one is of another version). */
  openActive(projection: ProjectionDefinition): Promise<ProjectionCopy | undefined>;
  /** The version of the active copy, if any. */
  activeVersion(projection: ProjectionDefinition): Promise<number | undefined>;
  /** A fresh, empty copy at position 0, not yet serving queries. */
  createCopy(projection: ProjectionDefinition): Promise<ProjectionCopy>;
  /** A throwaway copy for a view as of the past; dropped by the caller. */
  createTemporaryCopy(projection: ProjectionDefinition): Promise<ProjectionCopy & { view: unknown }>;
  /** Records an operator's skip of a failing event (the runner then moves the checkpoint past it). */
  recordSkip(projection: ProjectionDefinition, skipped: SkippedEvent): Promise<void>;
  /** The durable checkpoint of the active copy, as any process sees it (for read-your-writes across processes). */
  activePosition(projection: ProjectionDefinition): Promise<number>;
}

/** A handler threw on this event; the events before it were applied. */
export class ProjectionHandlerError extends Error {
  constructor(
    readonly event: RecordedEvent,
    readonly error: unknown,
  ) {
    super(`handler failed on event ${event.position} (${event.type}): ${String(error)}`, { cause: error });
  }
}
