// The peers (Emmett) live in bench/peers with their own package.json and lock file, so that the project's own
// dependencies stay clean. Two npm workspaces, because the registry here has no Emmett version published for both
// stores: emmett-sqlite 0.38.5 needs emmett 0.38.5, emmett-postgresql 0.42.0 needs emmett 0.42.0.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Where bench/peers is; a child process runs from a bundle in a temp folder, so its parent passes the path. */
export const peersDir =
  process.env.HINDSIGHT_BENCH_PEERS_DIR ?? fileURLToPath(new URL('peers/', import.meta.url));

export type PeerWorkspace = 'sqlite' | 'postgresql';

/** Installs bench/peers from its lock file when its node_modules is missing. */
export function ensurePeersInstalled(
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): void {
  if (existsSync(join(peersDir, 'node_modules')) && existsSync(join(peersDir, 'sqlite', 'node_modules')))
    return;
  log(`installing the peers: npm ci --prefix ${peersDir}`);
  execFileSync('npm', ['ci', '--prefix', peersDir, '--no-audit', '--no-fund'], { stdio: 'inherit' });
}

/** Imports a peer package as its workspace resolves it (each workspace has its own Emmett). */
export async function importPeer<T>(workspace: PeerWorkspace, specifier: string): Promise<T> {
  const require = createRequire(join(peersDir, workspace, 'package.json'));
  let resolved: string;
  try {
    resolved = require.resolve(specifier);
  } catch (error) {
    throw new Error(`${specifier} is not installed in ${peersDir}: run npm run bench -- --peers (${error})`);
  }
  // require.resolve picks the CommonJS entry; the ESM build sits beside it.
  const esm = resolved.replace(/\.cjs$/, '.js');
  return (await import(pathToFileURL(existsSync(esm) ? esm : resolved).href)) as T;
}

/** The versions installed, for the results. */
export function peerVersions(): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const [workspace, names] of [
    ['sqlite', ['@event-driven-io/emmett', '@event-driven-io/emmett-sqlite', 'sqlite3']],
    ['postgresql', ['@event-driven-io/emmett', '@event-driven-io/emmett-postgresql', 'pg']],
  ] as const) {
    const require = createRequire(join(peersDir, workspace, 'package.json'));
    for (const name of names) {
      try {
        const file = require.resolve(`${name}/package.json`);
        versions[`${workspace}: ${name}`] = (require(file) as { version: string }).version;
      } catch {
        versions[`${workspace}: ${name}`] = 'not installed';
      }
    }
  }
  return versions;
}
