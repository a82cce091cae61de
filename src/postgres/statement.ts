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
