import { deepStrictEqual } from 'node:assert/strict';
import { type Decider, decisionEvents, fold, type Message } from '../decider/decider.js';

/** What `thenThrows` may check: an error class, a `code`, or a predicate. */
export type ErrorExpectation = (new (...args: never[]) => Error) | string | ((error: unknown) => boolean);

/** The last step of a spec: what the command should have done. */
export interface Then<Event> {
  /** The command emits exactly these events (deep equality, in order). */
  then(expected: Event | readonly Event[]): void;
  /** The command is refused; the error matches the expectation when one is given. */
  thenThrows(expectation?: ErrorExpectation): void;
}

/**
 * Given/when/then specs for a decider, with no database: given past events, when a command is decided,
 * then these events (or this error).
 *
 * @example
 * const spec = deciderSpec(account);
 * spec.given([{ type: 'Opened', data: { owner: 'ada' } }]).when({ type: 'Deposit', data: { amount: 5 } })
 *   .then([{ type: 'Deposited', data: { amount: 5 } }]);
 */
export function deciderSpec<Command extends Message, Event extends Message, State>(
  decider: Decider<Command, Event, State>,
) {
  return {
    given(events: readonly Event[] = []) {
      return {
        when(command: Command): Then<Event> {
          const run = () =>
            decisionEvents(decider.decide(command, fold(decider, decider.initialState(), events)));
          return {
            // biome-ignore lint/suspicious/noThenProperty: given/when/then is the spec's vocabulary; never awaited
            then(expected) {
              deepStrictEqual(run(), decisionEvents(expected));
            },
            thenThrows(expectation) {
              let emitted: readonly Event[];
              try {
                emitted = run();
              } catch (error) {
                if (expectation !== undefined && !matches(error, expectation)) {
                  throw new Error(`the command was refused, but not as expected: ${String(error)}`, {
                    cause: error,
                  });
                }
                return;
              }
              throw new Error(
                `expected the command to be refused, but it emitted ${JSON.stringify(emitted)}`,
              );
            },
          };
        },
      };
    },
  };
}

function matches(error: unknown, expectation: ErrorExpectation): boolean {
  if (typeof expectation === 'string') return (error as { code?: unknown } | null)?.code === expectation;
  if (expectation.prototype instanceof Error || expectation === Error) {
    return error instanceof (expectation as new (...args: never[]) => Error);
  }
  return (expectation as (error: unknown) => boolean)(error);
}
