import type Database from 'better-sqlite3';

/** A response kept under an idempotency key, to answer a retry with. */
export interface StoredResponse {
  status: number;
  /** The JSON body as sent. */
  body: string;
  headers: Record<string, string>;
}

/** What is stored under a key: the request's fingerprint, and its response once there is one. */
export interface IdempotencyRecord {
  fingerprint: string;
  response?: StoredResponse;
}

/**
 * Durable `Idempotency-Key`s: a key is claimed with the fingerprint of its request before the request runs, and
 * its response is kept once it has one. Keys are scoped (by the caller's actor), so callers never see each
 * other's responses.
 *
 * @example
 * const keys = sqliteIdempotencyKeys(store.database);
 * const record = await keys.claim('alice', 'key-1', fingerprint); // the first claim stores and returns it
 */
export interface IdempotencyKeys {
  /** Stores the key with this fingerprint unless it is stored already; returns what is stored now. */
  claim(scope: string, key: string, fingerprint: string): Promise<IdempotencyRecord>;
  /** Keeps the response of the request that claimed the key. */
  complete(scope: string, key: string, response: StoredResponse): Promise<void>;
}

interface Row {
  fingerprint: string;
  status: number | null;
  body: string | null;
  headers: string | null;
}

function toRecord(row: Row): IdempotencyRecord {
  if (row.status === null || row.body === null) return { fingerprint: row.fingerprint };
  return {
    fingerprint: row.fingerprint,
    response: {
      status: row.status,
      body: row.body,
      headers: JSON.parse(row.headers ?? '{}') as Record<string, string>,
    },
  };
}

/**
 * Idempotency keys in a table of the SQLite store's own file (`hindsight_idempotency_keys`), so they are as
 * durable as the events and go wherever the file goes.
 *
 * @example
 * const keys = sqliteIdempotencyKeys(createSqliteEventStore({ file: 'events.sqlite' }).database);
 */
export function sqliteIdempotencyKeys(db: Database.Database): IdempotencyKeys {
  db.exec(`CREATE TABLE IF NOT EXISTS hindsight_idempotency_keys (
    scope       TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    status      INTEGER,
    body        TEXT,
    headers     TEXT,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
  ) WITHOUT ROWID`);
  const insert = db.prepare(
    `INSERT INTO hindsight_idempotency_keys (scope, key, fingerprint, created_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (scope, key) DO NOTHING`,
  );
  const select = db.prepare<[string, string], Row>(
    'SELECT fingerprint, status, body, headers FROM hindsight_idempotency_keys WHERE scope = ? AND key = ?',
  );
  const update = db.prepare(
    'UPDATE hindsight_idempotency_keys SET status = ?, body = ?, headers = ? WHERE scope = ? AND key = ?',
  );
  const claim = db.transaction((scope: string, key: string, fingerprint: string) => {
    insert.run(scope, key, fingerprint, Date.now());
    return select.get(scope, key) as Row;
  });
  return {
    async claim(scope, key, fingerprint) {
      return toRecord(claim.immediate(scope, key, fingerprint));
    },
    async complete(scope, key, response) {
      update.run(response.status, response.body, JSON.stringify(response.headers), scope, key);
    },
  };
}

/** The part of a `pg.Pool` the PostgreSQL key table needs. */
export interface SqlPool {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/**
 * Idempotency keys in a table beside the PostgreSQL store's events (`<schema>.hindsight_idempotency_keys`),
 * shared by every server instance on that database.
 *
 * @example
 * const keys = await postgresIdempotencyKeys(store.pool, store.schema);
 */
export async function postgresIdempotencyKeys(pool: SqlPool, schema: string): Promise<IdempotencyKeys> {
  const table = `"${schema.replaceAll('"', '""')}".hindsight_idempotency_keys`;
  await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (
    scope       text        NOT NULL,
    key         text        NOT NULL,
    fingerprint text        NOT NULL,
    status      integer,
    body        text,
    headers     text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
  )`);
  return {
    async claim(scope, key, fingerprint) {
      // The no-op update makes RETURNING give the stored row whether or not this insert won.
      const { rows } = await pool.query(
        `INSERT INTO ${table} (scope, key, fingerprint) VALUES ($1, $2, $3)
         ON CONFLICT (scope, key) DO UPDATE SET scope = EXCLUDED.scope
         RETURNING fingerprint, status, body, headers`,
        [scope, key, fingerprint],
      );
      return toRecord(rows[0] as Row);
    },
    async complete(scope, key, response) {
      await pool.query(
        `UPDATE ${table} SET status = $1, body = $2, headers = $3 WHERE scope = $4 AND key = $5`,
        [response.status, response.body, JSON.stringify(response.headers), scope, key],
      );
    },
  };
}

/**
 * Idempotency keys in memory: for tests and for stores with no table of their own. They do not survive a
 * restart, though a retried append still cannot store its events twice (their ids derive from the key).
 *
 * @example
 * const app = await buildServer({ store, tokens, idempotencyKeys: memoryIdempotencyKeys() });
 */
export function memoryIdempotencyKeys(): IdempotencyKeys {
  const records = new Map<string, IdempotencyRecord>();
  const id = (scope: string, key: string) => `${scope}\u0000${key}`;
  return {
    async claim(scope, key, fingerprint) {
      const stored = records.get(id(scope, key));
      if (stored) return { ...stored };
      records.set(id(scope, key), { fingerprint });
      return { fingerprint };
    },
    async complete(scope, key, response) {
      const stored = records.get(id(scope, key));
      if (stored) stored.response = response;
    },
  };
}
