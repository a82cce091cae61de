export {
  type ErrorCode,
  HindsightError,
  IdempotencyKeyReusedError,
  InvalidInputError,
  isHindsightError,
  PositionOverflowError,
  StoreClosedError,
  TooManyConflictsError,
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
  type CommandOf,
  type Decider,
  decisionEvents,
  type EventOf,
  fold,
  type Message,
  type StateOf,
} from './decider/decider.js';
export {
  type CommandResult,
  type EmittedEvent,
  type HandleCommandOptions,
  handleCommand,
} from './commands/handle-command.js';
export { type LoadedState, type LoadStateOptions, loadState } from './commands/load-state.js';
export { deriveEventId } from './commands/event-ids.js';
export { createMemorySnapshotStore } from './snapshots/memory.js';
export { defaultSnapshotEvery, type SnapshotPolicy } from './snapshots/policy.js';
export type { Snapshot, SnapshotQuery, SnapshotStore } from './snapshots/snapshot-store.js';
