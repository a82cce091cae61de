export { deriveEventId } from './commands/event-ids.js';
export {
  type CommandResult,
  type EmittedEvent,
  type HandleCommandOptions,
  handleCommand,
} from './commands/handle-command.js';
export { type LoadedState, type LoadStateOptions, loadState } from './commands/load-state.js';
export { createStateCache, type StateCache, type StateCacheOptions } from './commands/state-cache.js';
export {
  type CommandOf,
  type Decider,
  decisionEvents,
  type EventOf,
  fold,
  type Message,
  type StateOf,
} from './decider/decider.js';
export {
  type ErrorCode,
  type FieldPath,
  HindsightError,
  IdempotencyKeyReusedError,
  type InvalidEventDetails,
  InvalidInputError,
  isHindsightError,
  PositionOverflowError,
  StoreClosedError,
  type StoredEventAddress,
  TooManyConflictsError,
  UpcastError,
  WrongExpectedVersionError,
} from './events/errors.js';
export type {
  EventMetadata,
  ExpectedVersion,
  JsonObject,
  JsonValue,
  NewEvent,
  RecordedEvent,
} from './events/event.js';
export {
  type ProjectionBackend,
  type ProjectionCopy,
  ProjectionHandlerError,
  type SkippedEvent,
} from './projections/backend.js';
export { memoryProjectionBackend } from './projections/memory-backend.js';
export { type Lease, type Ownership, soleOwnership } from './projections/ownership.js';
export {
  type MemoryProjection,
  memoryProjection,
  type ProjectionDefinition,
  type ProjectionInfo,
} from './projections/projection.js';
export {
  createProjectionRunner,
  NotCaughtUpError,
  type ProjectionRunner,
  type ProjectionRunnerOptions,
  type TemporaryView,
} from './projections/runner.js';
export type { ProjectionState, ProjectionStatus } from './projections/status.js';
export * from './sagas/index.js';
export type { RegistryOptions } from './schema/check-append.js';
export {
  defineEvent,
  type EventDefinition,
  type EventSchema,
  type UpcastStep,
} from './schema/define-event.js';
export {
  createEventRegistry,
  type EventRegistry,
  type RegisteredEvent,
  type RegisteredRecordedEvent,
  type RegisteredType,
} from './schema/registry.js';
export { upcast } from './schema/upcast.js';
export { withRegistry } from './schema/with-registry.js';
export { createMemorySnapshotStore } from './snapshots/memory.js';
export { defaultSnapshotEvery, type SnapshotPolicy } from './snapshots/policy.js';
export type { Snapshot, SnapshotQuery, SnapshotStore } from './snapshots/snapshot-store.js';
export type {
  AppendOptions,
  AppendResult,
  AsOf,
  EventStore,
  ReadAllOptions,
  ReadStreamOptions,
  StreamAppend,
} from './store/event-store.js';
export {
  type EventBatch,
  type SubscribeOptions,
  type Subscription,
  subscribe,
} from './subscriptions/subscribe.js';
