import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Lease, Ownership } from '../projections/ownership.js';
import { sleep } from '../time/sleep.js';
import { dedicatedClient } from './connection.js';
import type { PostgresEventStore } from './store.js';

/** The class of the session locks that say which process runs a projection (or saga runner) of a schema. */
const ownerLockClass = 0x68736e6f;

/**
 * How often `postgresOwnership` tries and checks its locks.
 *
 * @example
 * const options: PostgresOwnershipOptions = { retryMs: 250, heartbeatMs: 2000 };
 */
export interface PostgresOwnershipOptions {
  /** How often a process that does not own a name tries again; default 500 ms. */
  retryMs?: number;
  /** How often the owner checks that its lock's connection still answers; default 5 s. */
  heartbeatMs?: number;
}

/**
 * The key of the lock on one name of one schema. A collision of two names (a chance of 2^-32 per pair) keeps
 * one waiting while the other's owner lives; it never lets two processes run one name.
 */
function ownerLockKey(schema: string, name: string): number {
  return createHash('sha256').update(`${schema}\u0000${name}`).digest().readInt32BE(0);
}

/**
 * Ownership by PostgreSQL session advisory locks: a lease is `pg_try_advisory_lock` held on a connection of its
 * own, so it lasts exactly as long as that connection. When the owning process dies, the server closes its
 * connection and releases the lock, and the next process to try (every `retryMs`) takes over. The lease's `lost`
 * signal aborts when the connection errors, ends or stops answering.
 *
 * @example
 * const runner = createPostgresProjectionRunner(store, [balances], { ownership: postgresOwnership(store) });
 */
export function postgresOwnership(
  store: PostgresEventStore,
  options: PostgresOwnershipOptions = {},
): Ownership {
  const retryMs = options.retryMs ?? 500;
  const heartbeatMs = options.heartbeatMs ?? 5000;

  return {
    async acquire(name: string, signal: AbortSignal): Promise<Lease> {
      const key = ownerLockKey(store.schema, name);
      let client: pg.Client | undefined;
      let broken = false;
      while (!signal.aborted) {
        try {
          if (!client || broken) {
            client = dedicatedClient(store.pool);
            broken = false;
            // Until it holds the lock, a failure only means: connect again on the next try.
            client.on('error', () => {
              broken = true;
            });
            await client.connect();
          }
          const result = await client.query<{ locked: boolean }>(
            'SELECT pg_try_advisory_lock($1, $2) AS locked',
            [ownerLockClass, key],
          );
          if (result.rows[0]?.locked) {
            if (signal.aborted) break;
            return lease(client, heartbeatMs);
          }
        } catch {
          broken = true;
          await client?.end().catch(() => {});
        }
        await sleep(retryMs, signal);
      }
      await client?.end().catch(() => {});
      throw signal.reason ?? new Error('acquire aborted');
    },
  };
}

/** The lease held by `client`'s session lock: lost when the connection fails, released by closing it. */
function lease(client: pg.Client, heartbeatMs: number): Lease {
  const controller = new AbortController();
  let released = false;
  const lose = () => {
    clearInterval(heartbeat);
    if (!released) controller.abort(new Error('the connection holding the lease was lost'));
    client.end().catch(() => {});
  };
  client.removeAllListeners('error');
  client.on('error', lose);
  client.on('end', lose);
  // A connection cut without a word (a network partition) shows no error until something is sent on it.
  const heartbeat = setInterval(() => {
    const timeout = setTimeout(lose, heartbeatMs).unref();
    client.query('SELECT 1').then(() => clearTimeout(timeout), lose);
  }, heartbeatMs);
  heartbeat.unref();
  return {
    lost: controller.signal,
    async release() {
      released = true;
      clearInterval(heartbeat);
      // Ending the session releases its lock, even one taken twice.
      await client.end().catch(() => {});
    },
  };
}
