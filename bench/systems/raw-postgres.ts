import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { amountOf, evolveBalance } from '../workload.js';
import type { BenchEvent, BenchSystem, OpenLog } from './types.js';

/** Connections in each system's pool; the same number is given to Hindsight's store. */
export const poolSize = 16;

interface Row {
  position: string;
  id: string;
  stream_id: string;
  stream_version: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: unknown;
  recorded_at: Date;
}

/**
 * The limit on PostgreSQL: `pg` with hand-written SQL on a pool. One transaction per append, one INSERT per
 * event, positions from a BIGSERIAL; stream versions come from an in-memory map (no version check, no idempotency).
 */
export const rawPostgres: BenchSystem = {
  id: 'raw',
  role: 'raw',
  backend: 'postgres',
  label: 'pg',
  durabilities: ['strict'],
  durabilityNote: () => 'synchronous_commit=on: each COMMIT waits for the WAL flush',
  async open(target): Promise<OpenLog> {
    if (target.backend !== 'postgres') throw new Error('raw-postgres needs a PostgreSQL target');
    const schema = target.schema;
    const table = `"${schema}".events`;
    const pool = new pg.Pool({ connectionString: target.connectionString, max: poolSize });
    await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (
      position       BIGSERIAL PRIMARY KEY,
      id             TEXT        NOT NULL UNIQUE,
      stream_id      TEXT        NOT NULL,
      stream_version BIGINT      NOT NULL,
      type           TEXT        NOT NULL,
      schema_version INTEGER     NOT NULL DEFAULT 1,
      data           JSON        NOT NULL,
      metadata       JSON        NOT NULL,
      recorded_at    TIMESTAMPTZ NOT NULL,
      UNIQUE (stream_id, stream_version))`);
    const insert = `INSERT INTO ${table} (id, stream_id, stream_version, type, data, metadata, recorded_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7)`;
    const select = `SELECT position, id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at
      FROM ${table} WHERE position >= $1 ORDER BY position LIMIT 1000`;
    const versions = new Map<string, number>();

    async function append(streamId: string, events: readonly BenchEvent[]): Promise<void> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        // Read from the table the first time a stream is seen in this open (a log opened again already has it).
        let version =
          versions.get(streamId) ??
          Number(
            (
              await client.query<{ v: string }>(
                `SELECT coalesce(max(stream_version), 0) AS v FROM ${table} WHERE stream_id = $1`,
                [streamId],
              )
            ).rows[0]?.v ?? 0,
          );
        const at = new Date();
        for (const e of events) {
          version++;
          const values = [
            randomUUID(),
            streamId,
            version,
            e.type,
            JSON.stringify(e.data),
            JSON.stringify(e.metadata),
            at,
          ];
          await client.query({ name: `raw-insert-${schema}`, text: insert, values });
        }
        await client.query('COMMIT');
        versions.set(streamId, version);
        client.release();
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        client.release();
        throw error;
      }
    }

    const readStream = `SELECT stream_version, type, data FROM ${table} WHERE stream_id = $1 ORDER BY stream_version`;
    async function fold(client: pg.ClientBase | pg.Pool, streamId: string) {
      const { rows } = await client.query<{ stream_version: string; type: string; data: unknown }>({
        name: `raw-stream-${schema}`,
        text: readStream,
        values: [streamId],
      });
      let state = { balance: 0 };
      for (const r of rows) state = evolveBalance(state, r);
      return { version: Number(rows[rows.length - 1]?.stream_version ?? 0), balance: state.balance };
    }

    /** Read the stream, insert at the next version; a unique violation is a conflict, retried after a backoff. */
    async function command(streamId: string, deposit: BenchEvent): Promise<{ attempts: number }> {
      for (let attempt = 1; attempt <= 20; attempt++) {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const { version } = await fold(client, streamId);
          await client.query({
            name: `raw-insert-${schema}`,
            text: insert,
            values: [
              randomUUID(),
              streamId,
              version + 1,
              deposit.type,
              JSON.stringify(deposit.data),
              JSON.stringify(deposit.metadata),
              new Date(),
            ],
          });
          await client.query('COMMIT');
          client.release();
          return { attempts: attempt };
        } catch (error) {
          await client.query('ROLLBACK').catch(() => {});
          client.release();
          if ((error as { code?: string }).code !== '23505') throw error;
          await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 2 ** attempt)));
        }
      }
      throw new Error(`${streamId}: gave up after 20 attempts`);
    }

    return {
      append,
      load: (streamId) => fold(pool, streamId),
      command,
      async balancesView() {
        const balances = `"${schema}".balances`;
        const page = `SELECT position, stream_id, data FROM ${table} WHERE position >= $1 ORDER BY position LIMIT 5000`;
        return {
          async rebuild() {
            await pool.query(`DROP TABLE IF EXISTS ${balances};
              CREATE TABLE ${balances} (account_id text PRIMARY KEY, balance bigint NOT NULL)`);
            for (let next = '1'; ; ) {
              const { rows } = await pool.query<{ position: string; stream_id: string; data: unknown }>({
                name: `raw-page-${schema}`,
                text: page,
                values: [next],
              });
              const sums = new Map<string, number>();
              for (const r of rows) sums.set(r.stream_id, (sums.get(r.stream_id) ?? 0) + amountOf(r.data));
              await pool.query(
                `INSERT INTO ${balances} SELECT * FROM unnest($1::text[], $2::bigint[])
                 ON CONFLICT (account_id) DO UPDATE SET balance = ${balances}.balance + excluded.balance`,
                [[...sums.keys()], [...sums.values()]],
              );
              const last = rows[rows.length - 1];
              if (!last || rows.length < 5000) break;
              next = String(Number(last.position) + 1);
            }
            const { rows } = await pool.query<{ rows: string; total: string }>(
              `SELECT count(*)::text AS rows, coalesce(sum(balance), 0)::text AS total FROM ${balances}`,
            );
            return { rows: Number(rows[0]?.rows ?? 0), total: Number(rows[0]?.total ?? 0) };
          },
          async close() {},
        };
      },
      async replay(visit) {
        for (let next = '1'; ; ) {
          const { rows } = await pool.query<Row>({
            name: `raw-select-${schema}`,
            text: select,
            values: [next],
          });
          for (const r of rows) {
            const event = {
              position: Number(r.position),
              id: r.id,
              streamId: r.stream_id,
              streamVersion: Number(r.stream_version),
              type: r.type,
              schemaVersion: r.schema_version,
              data: r.data,
              metadata: r.metadata,
              recordedAt: r.recorded_at,
            };
            visit(event.position, event.data);
          }
          const last = rows[rows.length - 1];
          if (!last || rows.length < 1000) return;
          next = String(Number(last.position) + 1);
        }
      },
      close: () => pool.end(),
    };
  },
};
