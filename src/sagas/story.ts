import type { RecordedEvent } from '../events/event.js';
import type { SagaEvent } from './events.js';

/**
 * A saga's history as a story, one line per event: when, who, and what happened (which step ran, how each try
 * ended, why it turned back and what it undid).
 *
 * @example
 * console.log(sagaStory(await sagaHistory(store, 'transfer', 't-1')).join('\n'));
 * // 2026-11-27T18:40:01.123Z alice: started transfer t-1: transfer 500 from a to b (steps: debit, credit)
 */
export function sagaStory(history: readonly RecordedEvent[]): string[] {
  return history.map((record) => {
    const who = record.metadata.actor ?? 'system';
    return `${record.recordedAt.toISOString()} ${who}: ${sentence(record as unknown as SagaEvent)}`;
  });
}

function sentence(event: SagaEvent): string {
  switch (event.type) {
    case 'SagaStarted': {
      const what = event.data.description ? `: ${event.data.description}` : '';
      return `started ${event.data.saga} ${event.data.sagaId}${what} (steps: ${event.data.steps.join(', ')})`;
    }
    case 'SagaDeadlineScheduled':
      return `deadline set for ${event.data.at}`;
    case 'SagaStepStarted':
      return `step ${event.data.step}: try ${event.data.attempt} began`;
    case 'SagaStepSucceeded': {
      const result = event.data.result === undefined ? '' : ` with ${JSON.stringify(event.data.result)}`;
      return `step ${event.data.step}: try ${event.data.attempt} succeeded${result}`;
    }
    case 'SagaStepFailed': {
      const then =
        event.data.retryInMs === undefined ? 'no tries left' : `trying again in ${event.data.retryInMs} ms`;
      const doubt = event.data.inDoubt ? ' (it may still have taken effect)' : '';
      return `step ${event.data.step}: try ${event.data.attempt} failed${doubt}: ${event.data.error}; ${then}`;
    }
    case 'SagaCompensating':
      switch (event.data.reason) {
        case 'step_failed':
          return `turning back because step ${event.data.step} failed (${event.data.error}): undoing the steps done, last first`;
        case 'cancelled':
          return 'turning back because it was cancelled: undoing the steps done, last first';
        case 'deadline':
          return 'turning back because its deadline passed: undoing the steps done, last first';
      }
      break;
    case 'SagaCompensationStarted':
      return `undoing step ${event.data.step}: try ${event.data.attempt} began`;
    case 'SagaStepCompensated':
      return `undoing step ${event.data.step}: try ${event.data.attempt} succeeded`;
    case 'SagaCompensationFailed': {
      const then =
        event.data.retryInMs === undefined ? 'no tries left' : `trying again in ${event.data.retryInMs} ms`;
      return `undoing step ${event.data.step}: try ${event.data.attempt} failed: ${event.data.error}; ${then}`;
    }
    case 'SagaStuck':
      return `STUCK at step ${event.data.step} (${event.data.error}): waiting for an operator to retry`;
    case 'SagaRetryRequested':
      return `asked to retry: ${event.data.reason}`;
    case 'SagaCancelRequested':
      return `asked to cancel: ${event.data.reason}`;
    case 'SagaDeadlineReached':
      return `deadline passed at ${event.data.at}`;
    case 'SagaCompleted':
      return 'completed: every step succeeded';
    case 'SagaCompensated':
      return 'ended compensated: every step done was undone';
    case 'SagaFailed':
      return `ended failed at step ${event.data.step} (${event.data.error}); nothing needed undoing`;
  }
  return (event as { type: string }).type;
}
