import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Backend, Target } from './systems/types.js';

export const defaultPostgresUrl = 'postgres://postgres@127.0.0.1:5432/test';

/** Makes and removes the fresh logs of one bench run: files in one temp folder, schemas in one database. */
export class Targets {
  private folder: string | undefined;
  private count = 0;
  private readonly schemas = new Set<string>();

  constructor(readonly postgresUrl: string) {}

  create(backend: Backend, label: string): Target {
    this.count++;
    const name = `${label.replace(/[^a-z0-9]+/gi, '_').toLowerCase()}_${this.count}`;
    if (backend === 'sqlite') {
      this.folder ??= mkdtempSync(join(tmpdir(), 'hindsight-bench-'));
      return { backend, file: join(this.folder, `${name}.sqlite`) };
    }
    const schema = `bench_${process.pid}_${name}`;
    this.schemas.add(schema);
    return { backend, connectionString: this.postgresUrl, schema };
  }

  async remove(target: Target): Promise<void> {
    if (target.backend === 'sqlite') {
      for (const suffix of ['', '-wal', '-shm', '-journal'])
        rmSync(`${target.file}${suffix}`, { force: true });
      return;
    }
    await withClient(target.connectionString, (c) =>
      c.query(`DROP SCHEMA IF EXISTS "${target.schema}" CASCADE`),
    );
    this.schemas.delete(target.schema);
  }

  /** Removes whatever is left, also after a failed run. */
  async removeAll(): Promise<void> {
    if (this.folder) rmSync(this.folder, { recursive: true, force: true });
    this.folder = undefined;
    for (const schema of [...this.schemas]) {
      await this.remove({ backend: 'postgres', connectionString: this.postgresUrl, schema }).catch(() => {});
    }
  }
}

/** Runs `work` on one short-lived connection. */
export async function withClient<T>(
  connectionString: string,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The server's durability settings, or why it cannot be reached. */
export async function probePostgres(
  connectionString: string,
): Promise<{ settings: string } | { error: string }> {
  try {
    return await withClient(connectionString, async (c) => {
      const { rows } = await c.query<{ name: string; setting: string }>(
        `SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'wal_sync_method')`,
      );
      const version = (await c.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0]
        ?.v;
      return { settings: `PostgreSQL ${version}, ${rows.map((r) => `${r.name}=${r.setting}`).join(', ')}` };
    });
  } catch (error) {
    return { error: String(error) };
  }
}
