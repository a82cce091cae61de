// The fixture's holdAppend for PostgreSQL: a store of its own whose beforeCommit hook waits for the test.
import { createPostgresEventStore } from '../../src/postgres/index.js';
import type { AppendResult } from '../../src/store/event-store.js';
import type { HeldAppend } from '../../src/testing/index.js';
import { databaseUrl } from './postgres.js';

/** A held append that can also be abandoned (rolled back) by cleanup, whatever the test did. */
export interface AbandonableHeldAppend extends HeldAppend {
  abandon(): Promise<void>;
}

/**
 * Starts an append on `schema` and resolves once its positions are taken and its rows written, with its
 * transaction still open; it commits or rolls back when the test says.
 */
export async function holdAppend(
  schema: string,
  streamId: string,
  events: { type: string; data: unknown }[],
): Promise<AbandonableHeldAppend> {
  let reached: () => void = () => {};
  const atCommit = new Promise<void>((resolve) => {
    reached = resolve;
  });
  let decide: (commit: boolean) => void = () => {};
  const decision = new Promise<boolean>((resolve) => {
    decide = resolve;
  });
  const holder = await createPostgresEventStore({
    connectionString: databaseUrl,
    schema,
    poolSize: 1,
    hooks: {
      async beforeCommit() {
        reached();
        if (!(await decision)) throw new Error('rolled back by the test');
      },
    },
  });
  const result: Promise<AppendResult> = holder.appendToStream(streamId, events);
  result.catch(() => {});
  await Promise.race([atCommit, result]);
  const rollback = async () => {
    decide(false);
    await result.catch(() => {});
    await holder.close();
  };
  return {
    async commit() {
      decide(true);
      try {
        return await result;
      } finally {
        await holder.close();
      }
    },
    rollback,
    abandon: rollback,
  };
}
