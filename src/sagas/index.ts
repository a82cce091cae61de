export { type CompensationReason, type SagaEvent, type SagaEventType, sagaEventTypes } from './events.js';
export { describeError, runSaga, stepKey } from './execute.js';
export {
  loadSaga,
  requestSaga,
  SagaInputMismatchError,
  SagaNotFoundError,
  SagaRequestRefusedError,
  type StartedSaga,
  sagaHistory,
  startSaga,
} from './load.js';
export {
  createSagaRunner,
  type SagaRunner,
  type SagaRunnerOptions,
  type SagaRunnerStatus,
} from './runner.js';
export {
  type CompensationContext,
  defineSaga,
  type RetryPolicy,
  type SagaDefinition,
  type SagaStep,
  type SagaTrigger,
  type StepContext,
  sagaStreamId,
} from './saga.js';
export {
  evolveSaga,
  initialSagaState,
  nextSagaAction,
  type SagaAction,
  type SagaRecord,
  type SagaState,
  type SagaStatus,
  type StepState,
  type StepStatus,
} from './state.js';
export { sagaStory } from './story.js';
