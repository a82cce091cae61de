import type { RecordedEvent } from '../events/event.js';
import type { ProjectionBackend } from '../projections/backend.js';
import type { ProjectionDefinition } from '../projections/projection.js';
import { sqliteProjectionBackend } from '../sqlite/projections.js';
import { claimDataFolder } from './data-lock.js';
import { type OpenStore, openStore, type StoreFlags, storeLocation } from './open-store.js';
import { progress } from './output.js';
import { serviceFor } from './service.js';

/** One projection of the service, as `hindsight projections` shows it. */
export interface ProjectionRow {
  name: string;
  kind: string;
  /** The version the code defines. */
  version: number;
  /** The version of the copy queries read; null when none is stored. */
  storedVersion: number | null;
  /** How far the stored copy has applied the log (its checkpoint). */
  position: number;
  headPosition: number;
  lag: number;
  /** Age of the oldest event the stored copy has not applied; 0 when caught up. */
  lagMs: number;
  /** What an operator should know, in words. */
  state: string;
}

/** `hindsight projections`: each projection of the service, its stored version, checkpoint and lag. */
export async function projectionsStatusCommand(flags: StoreFlags & { json?: boolean }): Promise<void> {
  const opened = await openStore(storeLocation(flags), { create: false });
  try {
    const { projections } = await serviceFor(opened);
    const backend = await backendFor(opened);
    const head = await opened.store.headPosition();
    const rows: ProjectionRow[] = [];
    for (const p of projections) rows.push(await rowOf(opened, backend, p, head));
    if (flags.json) {
      console.log(JSON.stringify(rows, null, 2));
      return;
    }
    const widths = [24, 9, 8, 12, 12, 10];
    const line = (cells: string[]) =>
      cells.map((c, i) => (i < widths.length ? c.padEnd(widths[i] as number) : c)).join(' ');
    console.log(line(['projection', 'kind', 'version', 'checkpoint', 'lag', 'lag age', 'state']));
    for (const r of rows) {
      console.log(
        line([
          r.name,
          r.kind,
          r.storedVersion === null ? `-/${r.version}` : `${r.storedVersion}/${r.version}`,
          String(r.position),
          String(r.lag),
          duration(r.lagMs),
          r.state,
        ]),
      );
    }
    console.log(
      `${rows.length} projection${rows.length === 1 ? '' : 's'}; head of the log: position ${head}`,
    );
  } finally {
    await opened.store.close();
  }
}

async function rowOf(
  opened: OpenStore,
  backend: ProjectionBackend,
  p: ProjectionDefinition,
  head: number,
): Promise<ProjectionRow> {
  const base = { name: p.name, kind: p.kind, version: p.version, headPosition: head };
  if (p.kind !== backend.kind) {
    return {
      ...base,
      storedVersion: null,
      position: 0,
      lag: 0,
      lagMs: 0,
      state: 'held in the server’s memory: built by each server as it starts',
    };
  }
  const storedVersion = (await backend.activeVersion(p)) ?? null;
  const position = storedVersion === null ? 0 : await backend.activePosition(p);
  let lagMs = 0;
  for await (const next of opened.store.readAll({ from: position + 1, limit: 1 })) {
    lagMs = Math.max(0, Date.now() - next.recordedAt.getTime());
  }
  const lag = Math.max(0, head - position);
  const state =
    storedVersion === null
      ? 'not built: a server builds it when it starts, or run projections rebuild'
      : storedVersion !== p.version
        ? `stored v${storedVersion}, code v${p.version}: rebuilt when a server starts`
        : lag === 0
          ? 'caught up'
          : `${lag} positions behind`;
  return { ...base, storedVersion, position, lag, lagMs, state };
}

export interface RebuildFlags extends StoreFlags {
  /** Seconds to wait for another process's lease on PostgreSQL before giving up. */
  wait?: string;
}

/**
 * `hindsight projections rebuild <name>`: builds a fresh copy of the view from the whole log beside the live one,
 * swaps it in (queries keep reading the old copy until then), with progress on stderr and a one-line summary.
 * It refuses while a server runs the projection: on SQLite the data folder's claim says so, on PostgreSQL the
 * projection's lease.
 */
export async function projectionsRebuildCommand(name: string, flags: RebuildFlags): Promise<void> {
  const location = storeLocation(flags);
  const opened = await openStore(location, { create: false });
  let release = async () => {};
  try {
    const { projections } = await serviceFor(opened);
    const definition = projections.find((p) => p.name === name);
    if (!definition) {
      const known = projections.map((p) => p.name).join(', ') || 'none';
      throw new Error(`no projection named ${JSON.stringify(name)}; the service has: ${known}`);
    }
    const backend = await backendFor(opened);
    if (definition.kind !== backend.kind) {
      throw new Error(
        `projection ${name} is held in the server's memory: each server builds it as it starts`,
      );
    }
    release = await claimProjection(opened, location.dataDir, name, Number(flags.wait ?? '5'));
    const started = Date.now();
    // Everything up to this head goes into the copy; what comes after, a server applies from the checkpoint.
    const head = await opened.store.headPosition();
    const bar = progress(`rebuilding ${name}: position`, head);
    const fresh = await backend.createCopy(definition);
    let applied = 0;
    try {
      let batch: RecordedEvent[] = [];
      for await (const event of opened.store.readAll({
        asOf: { position: head },
        types: definition.handles,
        streamPrefix: definition.streamPrefix,
        batchSize: 5000,
      })) {
        batch.push(event);
        if (batch.length === 5000) {
          await fresh.applyBatch(batch, event.position);
          applied += batch.length;
          bar.tick(event.position);
          batch = [];
        }
      }
      await fresh.applyBatch(batch, head);
      applied += batch.length;
      bar.tick(head);
      await fresh.activate();
    } catch (error) {
      bar.done();
      await fresh.drop().catch(() => {});
      throw error;
    }
    bar.done();
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `rebuilt ${name} v${fresh.version}: ${applied.toLocaleString('en')} event${applied === 1 ? '' : 's'} ` +
        `up to position ${head} in ${seconds} s`,
    );
  } finally {
    await release();
    await opened.store.close();
  }
}

/** The backend of the store's own projections (SQLite tables in its file, or PostgreSQL tables in its schema). */
async function backendFor(opened: OpenStore): Promise<ProjectionBackend> {
  if (opened.kind === 'sqlite') return sqliteProjectionBackend(opened.store);
  const { postgresProjectionBackend } = await import('../postgres/projections.js');
  return postgresProjectionBackend(opened.store);
}

/** Makes sure no server runs the projection while its tables are swapped; resolves to the release. */
async function claimProjection(
  opened: OpenStore,
  dataDir: string,
  name: string,
  waitSeconds: number,
): Promise<() => Promise<void>> {
  if (opened.kind === 'sqlite') {
    const claim = claimDataFolder(dataDir, 'hindsight projections rebuild');
    return async () => claim.release();
  }
  if (!Number.isFinite(waitSeconds) || waitSeconds < 0) throw new Error('--wait must be a number of seconds');
  const { postgresOwnership } = await import('../postgres/ownership.js');
  try {
    const lease = await postgresOwnership(opened.store).acquire(
      name,
      AbortSignal.timeout(waitSeconds * 1000),
    );
    return () => lease.release();
  } catch {
    throw new Error(
      `projection ${name} is run by another process (a server) on this database: ` +
        `rebuild it there with POST /projections/${name}/rebuild`,
    );
  }
}

function duration(ms: number): string {
  if (ms === 0) return '0';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}
