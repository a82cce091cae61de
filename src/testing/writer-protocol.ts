import type { AppendResult } from '../store/event-store.js';

/** What the parent tells the writer process, as JSON in its first argument. */
export interface WriterInput {
  /** A module exporting `openStore(config): Promise<EventStore>`: a path or a URL. */
  module: string;
  config: unknown;
  /** Prefixes every batch id, so runs on one log never collide. */
  run: string;
  /** How many append loops run at once. */
  workers: number;
}

/** One line of the writer's stdout per acknowledged append: written only after the append resolved. */
export interface WriterAck {
  batch: string;
  parts: { streamId: string; ids: string[]; result: AppendResult }[];
}

/** What every event the writer appends carries, so a reader can tell a whole batch from part of one. */
export interface WriterEventData {
  batch: string;
  /** How many events the batch has in all its streams. */
  size: number;
  index: number;
  padding: string;
}
