// How a child process (bench/child.ts: a replay, a peer's run) is started. By default: plain node on an esbuild
// bundle of bench/child.ts, which is what an application running compiled JavaScript is (tsx alone adds about
// 30 MB of RSS). Where esbuild (tsx's own dependency, not one of ours) cannot be loaded: node --import tsx, and
// the results say so.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface ChildCommand {
  args: string[];
  runtime: string;
}

interface Esbuild {
  build(options: Record<string, unknown>): Promise<unknown>;
}

interface ResolveArgs {
  path: string;
}

const source = fileURLToPath(new URL('child.ts', import.meta.url));
const require = createRequire(import.meta.url);
let command: Promise<ChildCommand> | undefined;
let folder: string | undefined;

export function childCommand(): Promise<ChildCommand> {
  command ??= bundle().catch((error: unknown) => ({
    args: ['--import', 'tsx', source],
    runtime: `node --import tsx (no bundle: ${String(error).split('\n')[0]})`,
  }));
  return command;
}

/** Removes the bundle, if one was made. */
export function removeChildBundle(): void {
  if (folder) rmSync(folder, { recursive: true, force: true });
  folder = undefined;
  command = undefined;
}

async function bundle(): Promise<ChildCommand> {
  const name = 'esbuild';
  const esbuild = (await import(name)) as Esbuild;
  folder = mkdtempSync(join(tmpdir(), 'hindsight-bench-child-'));
  const outfile = join(folder, 'child.mjs');
  // Drivers stay outside the bundle, imported by absolute URL so the bundle can live in a temp folder.
  const drivers = {
    name: 'drivers-by-path',
    setup(build: { onResolve(options: { filter: RegExp }, resolve: (args: ResolveArgs) => unknown): void }) {
      build.onResolve({ filter: /^[^./]/ }, (args) =>
        isBuiltin(args.path)
          ? { external: true }
          : { path: pathToFileURL(require.resolve(args.path)).href, external: true },
      );
    },
  };
  await esbuild.build({
    entryPoints: [source],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
    plugins: [drivers],
  });
  return {
    args: [outfile],
    runtime: 'node on an esbuild bundle of bench/child.ts (compiled JavaScript, no tsx)',
  };
}
