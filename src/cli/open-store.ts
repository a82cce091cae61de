import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PostgresEventStore } from '../postgres/index.js';
import { createSqliteEventStore, type SqliteEventStore } from '../sqlite/index.js';

/** Where the CLI finds the log: flags first, then the environment, then `./data`. */
export interface StoreLocation {
  /** The data folder: the SQLite file, the generated admin token. */
  dataDir: string;
  /** `postgres://…` selects PostgreSQL instead of the SQLite file. */
  databaseUrl: string | undefined;
}

/** The options every command that opens the log accepts. */
export interface StoreFlags {
  data?: string;
  databaseUrl?: string;
}

/** Resolves `--data`/`HINDSIGHT_DATA` and `--database-url`/`HINDSIGHT_DATABASE_URL`. */
export function storeLocation(flags: StoreFlags, env: NodeJS.ProcessEnv = process.env): StoreLocation {
  const databaseUrl = flags.databaseUrl ?? (env.HINDSIGHT_DATABASE_URL || undefined);
  return { dataDir: resolve(flags.data ?? (env.HINDSIGHT_DATA || './data')), databaseUrl };
}

/** An open store, with the concrete adapter for the commands that reach below the interface. */
export type OpenStore =
  | { kind: 'sqlite'; store: SqliteEventStore; description: string }
  | { kind: 'postgres'; store: PostgresEventStore; description: string };

/**
 * Opens the log: PostgreSQL when a database URL is given (its driver loaded only then), otherwise
 * `events.sqlite` in the data folder, made when `create` is set (commands that only read refuse a missing one).
 */
export async function openStore(location: StoreLocation, options: { create: boolean }): Promise<OpenStore> {
  if (location.databaseUrl !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(location.databaseUrl)) {
      throw new Error('HINDSIGHT_DATABASE_URL must start with postgres:// or postgresql://');
    }
    const { createPostgresEventStore } = await import('../postgres/index.js');
    const store = await createPostgresEventStore({ connectionString: location.databaseUrl });
    return { kind: 'postgres', store, description: `PostgreSQL ${redact(location.databaseUrl)}` };
  }
  const file = join(location.dataDir, 'events.sqlite');
  if (!options.create && !existsSync(file)) {
    throw new Error(`no event store at ${file}: start one with hindsight serve, or pass --data`);
  }
  mkdirSync(location.dataDir, { recursive: true });
  return { kind: 'sqlite', store: createSqliteEventStore({ file }), description: `SQLite ${file}` };
}

/** The URL without its password, for printing. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://…';
  }
}
