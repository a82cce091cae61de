import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The file in a data folder naming the process that is using its SQLite store. */
export const dataLockFile = 'hindsight.pid';

/** A claim on a data folder, held until released (or the process ends). */
export interface DataFolderClaim {
  release(): void;
}

/**
 * Claims a SQLite data folder for one process: `serve` (its projection runner assumes it is alone with the file)
 * and the commands that swap a projection's tables. A second claim while the holder is alive throws, naming it;
 * a claim left by a process that died is taken over. SQLite has no lease of its own to do this, and a folder of a
 * SQLite file is on one machine, so a process id is enough.
 *
 * @example
 * const claim = claimDataFolder('./data', 'hindsight serve');
 * try { … } finally { claim.release(); }
 */
export function claimDataFolder(dataDir: string, what: string): DataFolderClaim {
  const file = join(dataDir, dataLockFile);
  const mine = JSON.stringify({ pid: process.pid, what, since: new Date().toISOString() });
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(file, `${mine}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw error;
    }
    const holder = readHolder(file);
    if (holder && holder.pid !== process.pid && alive(holder.pid)) {
      throw new Error(
        `${holder.what} (pid ${holder.pid}) is using ${dataDir} since ${holder.since}: stop it first` +
          ` (a running server rebuilds a projection with POST /projections/{name}/rebuild)`,
      );
    }
    // Left by a process that is gone: take it over.
    rmSync(file, { force: true });
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    if (readHolder(file)?.pid === process.pid) rmSync(file, { force: true });
  };
  process.on('exit', release);
  return { release };
}

function readHolder(file: string): { pid: number; what: string; since: string } | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as {
      pid?: unknown;
      what?: unknown;
      since?: unknown;
    };
    if (typeof parsed.pid !== 'number') return undefined;
    return { pid: parsed.pid, what: String(parsed.what ?? 'a process'), since: String(parsed.since ?? '?') };
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is someone else's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
