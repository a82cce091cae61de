/** Where a projection is in its life. */
export type ProjectionState =
  | 'starting'
  | 'catching_up'
  | 'live'
  | 'failed'
  | 'rebuilding'
  | 'standby'
  | 'stopped';

/** A projection's health, as `ProjectionRunner.status()` reports it. */
export interface ProjectionStatus {
  name: string;
  /** The version of the copy queries read (undefined before the first build). */
  version: number | undefined;
  state: ProjectionState;
  /** How far the copy queries read has applied the log. */
  position: number;
  headPosition: number;
  /** Positions between the view and the head of the log. */
  lagEvents: number;
  /** How long ago the oldest event the view has not applied was recorded; 0 when caught up. */
  lagMs: number;
  /** Set while an event makes the handler throw: the projection waits and retries it, or an operator skips it. */
  failure?: {
    position: number;
    eventId: string;
    eventType: string;
    error: string;
    attempts: number;
    nextRetryAt: Date;
  };
  /** Set while a fresh copy is being built beside the one queries read. */
  rebuild?: { version: number; position: number; headPosition: number; progress: number };
}
