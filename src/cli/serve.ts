import { collectDefaultMetrics, Registry } from 'prom-client';
import { buildServer } from '../server/app.js';
import { type AccessToken, loadOrCreateAdminToken, parseTokens } from '../server/tokens.js';
import { createSqliteProjectionRunner } from '../sqlite/projections.js';
import { claimDataFolder, type DataFolderClaim } from './data-lock.js';
import { openStore, type StoreFlags, storeLocation } from './open-store.js';
import { serviceFor } from './service.js';

export interface ServeFlags extends StoreFlags {
  port?: string;
  host: string;
  logLevel: string;
}

/** Parses a port: 0 asks the system for a free one. */
export function parsePort(text: string): number {
  const port = Number(text);
  if (!/^[0-9]{1,5}$/.test(text) || port > 65_535)
    throw new Error(`the port must be 0 to 65535, got ${text}`);
  return port;
}

/** `hindsight serve`: opens the log, starts the projections and serves the API until SIGINT or SIGTERM. */
export async function serve(flags: ServeFlags): Promise<void> {
  const port = parsePort(flags.port ?? (process.env.PORT || '3000'));
  const location = storeLocation(flags);
  const tokens = resolveTokens(location.dataDir);
  const opened = await openStore(location, { create: true });
  // One server per SQLite file: its projection runner assumes it is alone with the file's views.
  let claim: DataFolderClaim | undefined;
  try {
    if (opened.kind === 'sqlite') claim = claimDataFolder(location.dataDir, 'hindsight serve');
  } catch (error) {
    await opened.store.close();
    throw error;
  }
  const service = await serviceFor(opened);
  const runner =
    opened.kind === 'sqlite'
      ? createSqliteProjectionRunner(opened.store, service.projections)
      : (await import('../postgres/index.js')).createPostgresProjectionRunner(
          opened.store,
          service.projections,
        );
  await runner.start();
  await service.sagas.start();
  const app = await buildServer({
    store: opened.store,
    tokens: tokens.tokens,
    runner,
    sagas: service.sagas,
    modules: service.modules,
    logger: { level: flags.logLevel, stream: process.stderr },
    metrics: { registry: processMetrics() },
  });
  let address: string;
  try {
    address = await app.listen({ port, host: flags.host });
  } catch (error) {
    // A port in use, say: nothing may keep the process alive after it says so.
    await app.close();
    await service.sagas.stop();
    await runner.stop();
    await opened.store.close();
    claim?.release();
    throw error;
  }
  console.log(`Hindsight is serving ${opened.description}`);
  console.log(`listening on ${address} (API description: ${address}/openapi.json)`);
  console.log(tokens.message);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: closing connections, stopping sagas and projections, closing the store`);
    await app.close();
    await service.sagas.stop();
    await runner.stop();
    await opened.store.close();
    claim?.release();
    console.log('stopped');
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

function resolveTokens(dataDir: string): { tokens: AccessToken[]; message: string } {
  const configured = process.env.HINDSIGHT_TOKENS;
  if (configured !== undefined && configured.trim() !== '') {
    const tokens = parseTokens(configured);
    const roles = tokens.map((t) => `${t.actor} (${t.role})`).join(', ');
    return { tokens, message: `tokens from HINDSIGHT_TOKENS: ${roles}` };
  }
  const admin = loadOrCreateAdminToken(dataDir);
  const message = admin.created
    ? `made an admin token, kept in ${admin.file} (mode 0600):\n  ${admin.token.token}\n` +
      `  use it as: curl -H 'Authorization: Bearer ${admin.token.token}' …`
    : `admin token: the one kept in ${admin.file} (HINDSIGHT_TOKENS unset)`;
  return { tokens: [admin.token], message };
}

/** A metrics registry that also holds the process's own: CPU, memory, event-loop delay, garbage collection. */
function processMetrics(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
