import type { Message } from '../decider/decider.js';
import type { JsonValue } from '../events/event.js';

/** Why a saga turned back and compensated. */
export type CompensationReason = 'step_failed' | 'cancelled' | 'deadline';

/** The events of a saga's own stream: its whole history, from which its state is folded. */
export type SagaEvent =
  | Message<
      'SagaStarted',
      { saga: string; sagaId: string; input: JsonValue; steps: string[]; description?: string }
    >
  | Message<'SagaDeadlineScheduled', { at: string }>
  | Message<'SagaStepStarted', { step: string; attempt: number }>
  | Message<'SagaStepSucceeded', { step: string; attempt: number; result?: JsonValue }>
  /**
   * `retryInMs` is set when another try follows; without it the step has failed for good. `inDoubt`: the try was
   * abandoned at its timeout, so its effect may still have happened.
   */
  | Message<
      'SagaStepFailed',
      { step: string; attempt: number; error: string; retryInMs?: number; inDoubt?: boolean }
    >
  | Message<'SagaCompensating', { reason: CompensationReason; step?: string; error?: string }>
  | Message<'SagaCompensationStarted', { step: string; attempt: number }>
  | Message<'SagaStepCompensated', { step: string; attempt: number }>
  | Message<'SagaCompensationFailed', { step: string; attempt: number; error: string; retryInMs?: number }>
  /** A compensation (or a step past the pivot) ran out of tries: an operator must look. */
  | Message<'SagaStuck', { step: string; error: string }>
  | Message<'SagaRetryRequested', { reason: string }>
  | Message<'SagaCancelRequested', { reason: string }>
  | Message<'SagaDeadlineReached', { at: string }>
  | Message<'SagaCompleted', Record<string, never>>
  | Message<'SagaCompensated', Record<string, never>>
  | Message<'SagaFailed', { step: string; error: string }>;

export type SagaEventType = SagaEvent['type'];

/** Every saga event type, for filters. */
export const sagaEventTypes: readonly SagaEventType[] = [
  'SagaStarted',
  'SagaDeadlineScheduled',
  'SagaStepStarted',
  'SagaStepSucceeded',
  'SagaStepFailed',
  'SagaCompensating',
  'SagaCompensationStarted',
  'SagaStepCompensated',
  'SagaCompensationFailed',
  'SagaStuck',
  'SagaRetryRequested',
  'SagaCancelRequested',
  'SagaDeadlineReached',
  'SagaCompleted',
  'SagaCompensated',
  'SagaFailed',
];

/** The events that end a saga. */
export const sagaEndTypes: readonly SagaEventType[] = ['SagaCompleted', 'SagaCompensated', 'SagaFailed'];
