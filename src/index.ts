export {
  type ErrorCode,
  HindsightError,
  InvalidInputError,
  isHindsightError,
  PositionOverflowError,
  StoreClosedError,
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
  EventStore,
  ReadAllOptions,
  ReadStreamOptions,
  StreamAppend,
} from './store/event-store.js';
