import { randomUUID } from 'node:crypto';
import pg from 'pg';
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
        let version = versions.get(streamId) ?? 0;
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

    return {
      append,
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
