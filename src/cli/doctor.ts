import { migrations as sqliteMigrations } from '../sqlite/schema.js';
import { type OpenStore, openStore, type StoreFlags, storeLocation } from './open-store.js';

/** What `doctor` found: facts, and problems that make it exit non-zero. */
export interface Diagnosis {
  store: string;
  schemaVersion: number;
  latestSchemaVersion: number;
  headPosition: number;
  events: number;
  streams: number;
  projections: { name: string; version: number; position: number; lag: number }[];
  idempotencyKeys: number | undefined;
  problems: string[];
}

/** `hindsight doctor`: the schema, the size of the log, and how far behind each projection's checkpoint is. */
export async function doctorCommand(flags: StoreFlags & { json?: boolean }): Promise<number> {
  const opened = await openStore(storeLocation(flags), { create: false });
  let diagnosis: Diagnosis;
  try {
    diagnosis = opened.kind === 'sqlite' ? await diagnoseSqlite(opened) : await diagnosePostgres(opened);
  } finally {
    await opened.store.close();
  }
  if (flags.json) console.log(JSON.stringify(diagnosis, null, 2));
  else print(diagnosis);
  return diagnosis.problems.length === 0 ? 0 : 1;
}

async function diagnoseSqlite(opened: Extract<OpenStore, { kind: 'sqlite' }>): Promise<Diagnosis> {
  const db = opened.store.database;
  const one = <T>(sql: string) => db.prepare(sql).pluck().get() as T;
  const tableExists = (name: string) =>
    one<number>(`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '${name}'`) > 0;
  const headPosition = await opened.store.headPosition();
  const problems: string[] = [];
  const check = db.prepare('PRAGMA quick_check').pluck().all() as string[];
  if (check.join() !== 'ok') problems.push(`SQLite quick_check: ${check.slice(0, 5).join('; ')}`);
  const schemaVersion = one<number | null>('SELECT max(version) FROM hindsight_migrations') ?? 0;
  const latestSchemaVersion = Math.max(...sqliteMigrations.map((m) => m.version));
  if (schemaVersion > latestSchemaVersion) {
    problems.push(
      `the file's schema (version ${schemaVersion}) is newer than this Hindsight knows (${latestSchemaVersion})`,
    );
  }
  const projections = db
    .prepare(
      `SELECT c.name, c.version, c.position FROM projections p
       JOIN projection_copies c ON c.name = p.name AND c.copy = p.active_copy ORDER BY c.name`,
    )
    .all() as { name: string; version: number; position: number }[];
  return {
    store: opened.description,
    schemaVersion,
    latestSchemaVersion,
    headPosition,
    events: one<number>('SELECT count(*) FROM events'),
    streams: one<number>('SELECT count(DISTINCT stream_id) FROM events'),
    projections: projections.map((p) => ({ ...p, lag: Math.max(0, headPosition - p.position) })),
    idempotencyKeys: tableExists('hindsight_idempotency_keys')
      ? one<number>('SELECT count(*) FROM hindsight_idempotency_keys')
      : undefined,
    problems,
  };
}

async function diagnosePostgres(opened: Extract<OpenStore, { kind: 'postgres' }>): Promise<Diagnosis> {
  const { pool, schema } = opened.store;
  const s = `"${schema.replaceAll('"', '""')}"`;
  const one = async (sql: string) => {
    const { rows } = await pool.query<{ value: string | number | null }>(sql);
    return Number(rows[0]?.value ?? 0);
  };
  const { migrations } = await import('../postgres/schema.js');
  const schemaVersion = await one(`SELECT max(version) AS value FROM ${s}.hindsight_migrations`);
  const latestSchemaVersion = Math.max(...migrations.map((m) => m.version));
  const problems: string[] = [];
  if (schemaVersion > latestSchemaVersion) {
    problems.push(
      `the schema (version ${schemaVersion}) is newer than this Hindsight knows (${latestSchemaVersion})`,
    );
  }
  const keysTable = await one(
    `SELECT count(*) AS value FROM pg_tables WHERE schemaname = '${schema.replaceAll("'", "''")}'
     AND tablename = 'hindsight_idempotency_keys'`,
  );
  return {
    store: `${opened.description} (schema ${schema})`,
    schemaVersion,
    latestSchemaVersion,
    headPosition: await opened.store.headPosition(),
    events: await one(`SELECT count(*) AS value FROM ${s}.events`),
    streams: await one(`SELECT count(DISTINCT stream_id) AS value FROM ${s}.events`),
    // Projection checkpoints live in SQLite tables so far; on PostgreSQL projections run in memory.
    projections: [],
    idempotencyKeys:
      keysTable > 0 ? await one(`SELECT count(*) AS value FROM ${s}.hindsight_idempotency_keys`) : undefined,
    problems,
  };
}

function print(d: Diagnosis): void {
  console.log(`store:           ${d.store}`);
  console.log(
    `schema:          version ${d.schemaVersion} (this Hindsight knows up to ${d.latestSchemaVersion})`,
  );
  console.log(`head position:   ${d.headPosition}`);
  console.log(`events:          ${d.events} in ${d.streams} stream${d.streams === 1 ? '' : 's'}`);
  if (d.idempotencyKeys !== undefined) console.log(`idempotency keys: ${d.idempotencyKeys}`);
  if (d.projections.length === 0) console.log('projections:     no checkpoints stored');
  for (const p of d.projections) {
    console.log(`projection ${p.name} v${p.version}: checkpoint ${p.position}, ${p.lag} behind the head`);
  }
  console.log(
    d.problems.length === 0
      ? 'healthy: no problems found'
      : `${d.problems.length} problem(s):\n  ${d.problems.join('\n  ')}`,
  );
}
