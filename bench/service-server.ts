// The bank service as `hindsight serve` runs it (src/cli/serve.ts: the same service definition, projection runner,
// transfer saga runner and server options), on a SQLite store opened at a durability of the caller's choice:
// `hindsight serve` always opens it 'strict', so `npm run bench:http -- --durability normal` runs this instead.
//   node --import tsx bench/service-server.ts --port 0 --data <dir> --durability normal
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildServer, parseTokens } from 'hindsight/server';
import { createSqliteEventStore, createSqliteProjectionRunner } from 'hindsight/sqlite';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { serviceFor } from '../src/cli/service.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? (args[at + 1] ?? fallback) : fallback;
};
const dataDir = flag('data', './data-bench');
const durability = flag('durability', 'strict') === 'normal' ? 'normal' : 'strict';
mkdirSync(dataDir, { recursive: true });
const file = join(dataDir, 'events.sqlite');
const store = createSqliteEventStore({ file, durability });
const service = await serviceFor({ kind: 'sqlite', store, description: `SQLite ${file}` });
const runner = createSqliteProjectionRunner(store, service.projections);
await runner.start();
await service.sagas.start();
const registry = new Registry();
collectDefaultMetrics({ register: registry });
const app = await buildServer({
  store,
  tokens: parseTokens(process.env.HINDSIGHT_TOKENS ?? ''),
  runner,
  modules: service.modules,
  logger: { level: 'warn', stream: process.stderr },
  metrics: { registry },
});
const address = await app.listen({ port: Number(flag('port', '0')), host: '127.0.0.1' });
console.log(`bank service: SQLite ${file} (durability ${durability})`);
console.log(`listening on ${address}`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await app.close();
  await service.sagas.stop();
  await runner.stop();
  await store.close();
  console.log('stopped');
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
