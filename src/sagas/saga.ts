import type { EventMetadata, JsonValue, RecordedEvent } from '../events/event.js';
import type { CompensationReason } from './events.js';

/** How often a failed step (or compensation) is tried again, with doubling delays between tries. */
export interface RetryPolicy {
  /** Tries in all, the first included; default 3 for steps, 5 for compensations. */
  maxAttempts?: number;
  /** Delay before the second try; default 50 ms. Each later delay doubles, up to `maxDelayMs`. */
  initialDelayMs?: number;
  /** Default 5 s. */
  maxDelayMs?: number;
}

/** What a step's action or compensation is given. */
export interface StepContext<Input> {
  sagaId: string;
  input: Input;
  /** The results of the steps that succeeded before this one, by step name. */
  results: Readonly<Record<string, JsonValue | undefined>>;
  /**
   * The same for every try of this step of this saga (and different for its compensation): pass it as the
   * idempotency key of the commands and calls the step makes, so a step run again after a crash or a timeout
   * never has its effect twice.
   */
  idempotencyKey: string;
  /** 1 for the first try. */
  attempt: number;
  /** Aborted when the step's timeout passes or the runner stops: stop waiting and throw. */
  signal: AbortSignal;
  /** Put it on the events the step causes: the saga's actor and correlation id, caused by this step. */
  metadata: EventMetadata;
}

/** What a compensation is given: the step's context, what the action returned, and why the saga turned back. */
export interface CompensationContext<Input> extends StepContext<Input> {
  /** Undefined when the action's outcome is not known (it was cut short or failed in doubt). */
  result: JsonValue | undefined;
  reason: CompensationReason;
}

/**
 * One step of a saga: an action and, unless nothing needs undoing, its compensation. (Functions are declared as
 * methods so that a saga of any input can be handed to a runner of `SagaDefinition<unknown>`.)
 */
export interface SagaStep<Input> {
  /** Unique within the saga; `[A-Za-z0-9_-]`. */
  name: string;
  /** Does the work; what it returns (JSON) is recorded and handed to later steps and to the compensation. */
  // biome-ignore lint/suspicious/noConfusingVoidType: an action with nothing to hand on is an `async () => {}`.
  action(context: StepContext<Input>): Promise<JsonValue | undefined | void>;
  /** Undoes the action; it gets the action's result. Must succeed eventually: failures are retried, then stuck. */
  compensate?(context: CompensationContext<Input>): Promise<void>;
  retry?: RetryPolicy;
  compensationRetry?: RetryPolicy;
  /** Each try is abandoned (its signal aborted, counted as a failure) after this long; default 30 s. */
  timeoutMs?: number;
  /** Whether an error is worth another try; default: every error is. A domain refusal usually is not. */
  retryable?(error: unknown): boolean;
  /**
   * Whether a failed try may still have had its effect (a service that did the work but lost the answer); such a
   * step is compensated too if the saga turns back. Default: only a try abandoned at its timeout.
   */
  inDoubt?(error: unknown): boolean;
  /**
   * The point of no return: once it has succeeded the saga only goes forward. A later step that fails is
   * retried and then left stuck for an operator, and a cancellation or a deadline is ignored.
   */
  pivot?: boolean;
  /** A failure of this step is recorded and the saga goes on (a notification, say). */
  optional?: boolean;
}

/** Starts a saga when an event appears in the log: how a saga reacts to events as a process manager. */
export interface SagaTrigger<Input> {
  /** The event types that may start it. */
  types: readonly string[];
  streamPrefix?: string;
  /** The saga's id (the same event must always give the same id) and its input; undefined to ignore the event. */
  start(event: RecordedEvent): { sagaId: string; input: Input } | undefined;
}

/**
 * A saga: steps run in order, each outcome recorded as an event in the saga's own stream before the next
 * begins; when a step fails, the steps that succeeded are compensated in reverse.
 *
 * @example
 * const transfer = defineSaga<{ from: string; to: string; amount: number }>({
 *   name: 'transfer',
 *   steps: [
 *     { name: 'debit', action: (c) => debit(c.input.from, c.input.amount, c.idempotencyKey),
 *       compensate: (c) => refund(c.input.from, c.input.amount, c.idempotencyKey) },
 *     { name: 'credit', action: (c) => credit(c.input.to, c.input.amount, c.idempotencyKey) },
 *   ],
 * });
 */
export interface SagaDefinition<Input> {
  /** Names the saga's streams (`saga:<name>:<sagaId>`); `[A-Za-z0-9_-]`. */
  name: string;
  steps: readonly SagaStep<Input>[];
  /** A saga still running this long after it started is cancelled and compensated (a durable timer). */
  deadlineMs?: number;
  /** Events that start a saga of this kind. */
  triggers?: readonly SagaTrigger<Input>[];
  /** One line saying what this saga does, for its story (`transfer 500 from a to b`). */
  describe?(input: Input): string;
}

const namePattern = /^[A-Za-z0-9_-]{1,64}$/;

/** Checks a saga's definition and returns it. */
export function defineSaga<Input>(definition: SagaDefinition<Input>): SagaDefinition<Input> {
  if (!namePattern.test(definition.name)) {
    throw new Error(`saga name ${JSON.stringify(definition.name)} must match ${namePattern}`);
  }
  if (definition.steps.length === 0) throw new Error(`saga ${definition.name} has no steps`);
  const seen = new Set<string>();
  for (const step of definition.steps) {
    if (!namePattern.test(step.name)) {
      throw new Error(
        `saga ${definition.name}: step name ${JSON.stringify(step.name)} must match ${namePattern}`,
      );
    }
    if (seen.has(step.name)) throw new Error(`saga ${definition.name} has two steps named ${step.name}`);
    seen.add(step.name);
  }
  return definition;
}

/** The stream that holds one saga's history. */
export function sagaStreamId(sagaName: string, sagaId: string): string {
  return `saga:${sagaName}:${sagaId}`;
}

/** The delay before try `attempt + 1` after try `attempt` failed, or undefined when no tries are left. */
export function retryDelay(
  policy: RetryPolicy | undefined,
  attempt: number,
  defaultAttempts: number,
): number | undefined {
  const maxAttempts = policy?.maxAttempts ?? defaultAttempts;
  if (attempt >= maxAttempts) return undefined;
  const initial = policy?.initialDelayMs ?? 50;
  const max = policy?.maxDelayMs ?? 5000;
  return Math.min(max, initial * 2 ** (attempt - 1));
}
