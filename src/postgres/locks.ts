import { createHash } from 'node:crypto';

// Advisory locks are per database, not per schema, so every key is derived from the schema name. Two-key locks
// (class, schema) and one-key locks (streams) live in separate key spaces in PostgreSQL, so they never collide.

/** The class of the short lock under which an append takes its transaction id and positions together. */
export const positionsLockClass = 0x68736e70;
/** The class of the lock that serializes migrations of one schema. */
export const migrationsLockClass = 0x68736e6d;

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * The class of the locks an append holds from taking its positions until it ends, keyed by its transaction id:
 * how a reader tells this schema's appenders from other running transactions.
 */
export function appendersLockClass(schema: string): number {
  return digest(schema).readInt32BE(4);
}

/** The second key of a schema's two-key advisory locks. */
export function schemaLockKey(schema: string): number {
  return digest(schema).readInt32BE(0);
}

/**
 * The advisory lock that serializes appends to one stream, as a decimal string. A collision of two streams
 * only makes them wait for each other; it never lets two appends to one stream run at once.
 */
export function streamLockKey(schema: string, streamId: string): string {
  return digest(`${schema}\u0000${streamId}`).readBigInt64BE(0).toString();
}
