// What the Emmett adapters use of Emmett, declared structurally (the packages live in bench/peers, outside the
// project's dependencies, and are imported at run time).
import { type BalanceState, evolveBalance } from '../workload.js';
import type { BenchEvent, OpenLog } from './types.js';

export interface EmmettEvent {
  type: string;
  data: unknown;
  metadata?: unknown;
}

export interface EmmettReadEvent extends EmmettEvent {
  metadata: { globalPosition: bigint; streamPosition: bigint; streamName: string };
}

export interface EmmettEventStore {
  appendToStream(
    streamName: string,
    events: EmmettEvent[],
    options?: { expectedStreamVersion?: bigint },
  ): Promise<{ nextExpectedStreamVersion: bigint }>;
  aggregateStream<State>(
    streamName: string,
    options: { evolve: (state: State, event: EmmettReadEvent) => State; initialState: () => State },
  ): Promise<{ currentStreamVersion: bigint; state: State }>;
}

export type EmmettCommandHandler = <State>(options: {
  evolve: (state: State, event: EmmettEvent) => State;
  initialState: () => State;
  retry?: { onVersionConflict: true | number };
}) => (store: EmmettEventStore, id: string, handle: (state: State) => EmmettEvent) => Promise<unknown>;

export interface EmmettCore {
  CommandHandler: EmmettCommandHandler;
}

/** The same event object every system gets, as Emmett takes it (`type`, `data`, `metadata`). */
export const toEmmett = (e: BenchEvent): EmmettEvent => ({
  type: e.type,
  data: e.data,
  metadata: e.metadata,
});

/**
 * Emmett's CommandHandler has no retries by default; `onVersionConflict: n` retries a version conflict n times
 * with its own backoff (from 100 ms, factor 1.5). 19 retries give 20 attempts, as Hindsight's default.
 */
export const emmettRetries = 19;

/**
 * What both Emmett adapters do alike, the way Emmett's docs show: `appendToStream`, `aggregateStream` to load, and
 * a `CommandHandler` (with `emmettRetries`) for commands.
 */
export function emmettWrites(
  core: EmmettCore,
  store: EmmettEventStore,
): Pick<OpenLog, 'append' | 'load' | 'command'> {
  const handle = core.CommandHandler<BalanceState>({
    evolve: evolveBalance,
    initialState: () => ({ balance: 0 }),
    retry: { onVersionConflict: emmettRetries },
  });
  return {
    async append(streamId, events) {
      await store.appendToStream(streamId, events.map(toEmmett));
    },
    async load(streamId) {
      const { currentStreamVersion, state } = await store.aggregateStream(streamId, {
        evolve: evolveBalance,
        initialState: () => ({ balance: 0 }),
      });
      return { version: Number(currentStreamVersion), balance: state.balance };
    },
    async command(streamId, deposit) {
      let attempts = 0;
      await handle(store, streamId, () => {
        attempts++;
        return toEmmett(deposit);
      });
      return { attempts };
    },
  };
}
