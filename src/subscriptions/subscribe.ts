import type { RecordedEvent } from '../events/event.js';
import type { EventStore } from '../store/event-store.js';
import { sleep } from '../time/sleep.js';

/** Events read in one step of a subscription, and how far the log has been looked at. */
export interface EventBatch {
  /** The matching events, in position order (empty when nothing matched). */
  events: RecordedEvent[];
  /** Every event up to this position has been seen (matching or not): the checkpoint to store. */
  position: number;
}

export interface SubscribeOptions {
  /** The checkpoint: events after this position are delivered; default 0 (the whole log). */
  after?: number;
  streamPrefix?: string;
  types?: readonly string[];
  /** Events per batch; default 500. */
  batchSize?: number;
  /** How often to look for new events when no wake-up came; default 250 ms. */
  pollIntervalMs?: number;
  /**
   * Once live, read the log at most once per this many milliseconds, however often appends wake it: a busy log
   * is then read, and applied, in fewer and larger batches. A wake-up after a quiet spell is served at once.
   * Default 0.
   */
  minIntervalMs?: number;
  /** Ends the subscription. */
  signal?: AbortSignal;
}

/** A live subscription: iterate it for batches; `position` is how far it has looked. */
export interface Subscription extends AsyncIterable<EventBatch> {
  readonly position: number;
  /** True once it has read up to the head it last saw, and is waiting for new events. */
  readonly live: boolean;
  close(): void;
}

/**
 * Follows the global log: catches up from a checkpoint in batches, then waits for new appends. The store's
 * wake-ups only cut latency; each step reads from the checkpoint up to the head, so a lost wake-up delays
 * a batch by at most `pollIntervalMs` and never loses one.
 *
 * @example
 * for await (const { events, position } of subscribe(store, { after: checkpoint, types: ['MoneyDeposited'] })) {
 *   apply(events); checkpoint = position;
 * }
 */
export function subscribe(store: EventStore, options: SubscribeOptions = {}): Subscription {
  const batchSize = options.batchSize ?? 500;
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const minIntervalMs = options.minIntervalMs ?? 0;
  let lastRead = Number.NEGATIVE_INFINITY;
  let position = options.after ?? 0;
  let live = false;
  let closed = false;
  let signalled = false;
  let wake: (() => void) | undefined;

  const nudge = () => {
    signalled = true;
    wake?.();
  };
  // Aborted by close() or by the caller's signal: ends any wait.
  const stopped = new AbortController();
  const close = () => {
    closed = true;
    stopped.abort();
    nudge();
  };
  options.signal?.addEventListener('abort', close, { once: true });

  const waitForNews = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, pollIntervalMs);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  async function* batches(): AsyncGenerator<EventBatch> {
    const stopListening = store.onAppend(nudge);
    try {
      while (!closed && !options.signal?.aborted) {
        const since = performance.now() - lastRead;
        if (live && since < minIntervalMs) await sleep(minIntervalMs - since, stopped.signal);
        signalled = false;
        lastRead = performance.now();
        const head = await store.headPosition();
        if (head <= position) {
          live = true;
          if (!signalled) await waitForNews();
          continue;
        }
        live = false;
        let events: RecordedEvent[] = [];
        for await (const event of store.readAll({
          from: position + 1,
          asOf: { position: head },
          streamPrefix: options.streamPrefix,
          types: options.types,
          batchSize,
        })) {
          events.push(event);
          if (events.length === batchSize) {
            position = event.position;
            yield { events, position };
            events = [];
            if (closed) return;
            // A synchronous driver would otherwise run a whole catch-up without letting anything else in.
            await new Promise((resolve) => setImmediate(resolve));
          }
        }
        // Everything up to the head has been looked at, matching or not.
        position = head;
        yield { events, position };
      }
    } finally {
      stopListening();
    }
  }

  return {
    get position() {
      return position;
    },
    get live() {
      return live;
    },
    close,
    [Symbol.asyncIterator]: () => batches(),
  };
}
