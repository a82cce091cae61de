// What the Emmett adapters use of Emmett, declared structurally (the packages live in bench/peers, outside the
// project's dependencies, and are imported at run time).
import type { BenchEvent } from './types.js';

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
