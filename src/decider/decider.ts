/** The shape every domain event and command has: a literal `type` and its `data`. */
export interface Message<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
}

/**
 * A domain as three pure functions: where state starts, how an event changes it, and which events a command
 * causes given the state. No I/O: `handleCommand` loads, decides and appends around it.
 *
 * @example
 * type Deposit = Message<'Deposit', { amount: number }>;
 * type Deposited = Message<'Deposited', { amount: number }>;
 * const account: Decider<Deposit, Deposited, { balance: number }> = {
 *   initialState: () => ({ balance: 0 }),
 *   evolve: (s, e) => ({ balance: s.balance + e.data.amount }),
 *   decide: (c) => [{ type: 'Deposited', data: { amount: c.data.amount } }],
 * };
 */
export interface Decider<Command extends Message, Event extends Message, State> {
  /** A fresh state for a stream with no events (a function, so no two streams share a mutable object). */
  initialState: () => State;
  evolve: (state: State, event: Event) => State;
  /** The events the command causes; throw a domain error to refuse it. */
  decide: (command: Command, state: State) => Event | readonly Event[];
}

/** The command type a decider accepts. */
export type CommandOf<D> = D extends Decider<infer C, Message, unknown> ? C : never;
/** The event type a decider emits and folds. */
export type EventOf<D> = D extends Decider<Message, infer E, unknown> ? E : never;
/** The state type a decider folds to. */
export type StateOf<D> = D extends Decider<Message, Message, infer S> ? S : never;

/** Folds events onto a state with the decider's `evolve`. */
export function fold<Event extends Message, State>(
  decider: Pick<Decider<Message, Event, State>, 'evolve'>,
  state: State,
  events: Iterable<Event>,
): State {
  let current = state;
  for (const event of events) current = decider.evolve(current, event);
  return current;
}

/** `decide`'s answer as an array, whether it returned one event or many. */
export function decisionEvents<Event>(decided: Event | readonly Event[]): readonly Event[] {
  return Array.isArray(decided) ? (decided as readonly Event[]) : [decided as Event];
}
