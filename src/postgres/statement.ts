import { createHash } from 'node:crypto';
import type pg from 'pg';

// Every column stays PostgreSQL's text: the store parses BIGINTs and JSON itself, exactly, whatever a caller's
// pool or the global `pg.types` were configured to do.
const asText: pg.CustomTypesConfig = { getTypeParser: () => (value: string) => value };

const names = new Map<string, string>();

/**
 * A query that each connection prepares once, returning rows as arrays of text. The name is derived from the
 * text, so stores on different schemas can share a caller's pool without their statements colliding.
 */
export function statement(text: string, values?: unknown[]): pg.QueryArrayConfig {
  let name = names.get(text);
  if (!name) {
    name = `hindsight_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return { name, text, values, rowMode: 'array', types: asText };
}

/** What `queryInOneWrite` needs of a `pg` client: its socket (an internal of `pg`, so everything is optional). */
interface SocketOf {
  connection?: { stream?: { cork?: () => void; uncork?: () => void } };
}

/**
 * `pool.query`, with the query's protocol messages (bind, describe, execute, sync: a write each in `pg`) sent in one
 * write to the socket. On this project's 2-core machine each write cost as much as the rest of an append's client
 * work: it wakes the server's process, which then takes the CPU (docs/postgres.md). `pg` writes a query's messages
 * while `query()` runs, so uncorking right after sends them together. A connection whose query failed is not
 * reused, as with `pool.query`.
 */
export async function queryInOneWrite<R extends unknown[]>(
  pool: pg.Pool,
  config: pg.QueryArrayConfig,
): Promise<pg.QueryArrayResult<R>> {
  const client = await pool.connect();
  let failed: Error | undefined;
  // As pool.query does: a connection lost mid-query emits 'error' on the client, which must not go unheard.
  const onError = (error: Error) => {
    failed = error;
  };
  client.on('error', onError);
  try {
    const stream = (client as unknown as SocketOf).connection?.stream;
    const corked = typeof stream?.cork === 'function' && typeof stream.uncork === 'function';
    if (corked) stream.cork?.();
    let sent: Promise<pg.QueryArrayResult<R>>;
    try {
      sent = client.query<R>(config);
    } finally {
      if (corked) stream.uncork?.();
    }
    return await sent.catch((error: Error) => {
      failed = error;
      throw error;
    });
  } finally {
    client.removeListener('error', onError);
    client.release(failed);
  }
}
