import { loadState } from '../commands/load-state.js';
import { account } from '../domains/bank/account.js';
import type { AsOf } from '../store/event-store.js';
import { optionalInteger } from './log-commands.js';
import { openStore, type StoreFlags, storeLocation } from './open-store.js';

export interface StateFlags extends StoreFlags {
  version?: string;
  position?: string;
  at?: string;
}

/** `--version`, `--position` or `--at`: at most one. */
export function parseAsOf(flags: StateFlags): AsOf | undefined {
  const given = [flags.version, flags.position, flags.at].filter((f) => f !== undefined);
  if (given.length > 1) throw new Error('give one of --version, --position and --at');
  if (flags.version !== undefined)
    return { version: optionalInteger(flags.version, '--version', 0) as number };
  if (flags.position !== undefined) {
    return { position: optionalInteger(flags.position, '--position', 0) as number };
  }
  if (flags.at !== undefined) {
    const time = new Date(flags.at);
    if (!/^\d{4}-\d{2}-\d{2}/.test(flags.at) || Number.isNaN(time.getTime())) {
      throw new Error(`--at must be an ISO-8601 instant such as 2026-01-31T12:00:00Z, got ${flags.at}`);
    }
    return { time };
  }
  return undefined;
}

/** `hindsight state <stream>`: an account's state as of now, a version, a position or an instant, as JSON. */
export async function stateCommand(streamId: string, flags: StateFlags) {
  const asOf = parseAsOf(flags);
  const { store } = await openStore(storeLocation(flags), { create: false });
  try {
    if ((await store.streamVersion(streamId)) === 0) throw new Error(`no stream ${JSON.stringify(streamId)}`);
    const loaded = await loadState(store, streamId, account, asOf ? { asOf } : {});
    const shownAsOf = asOf && ('time' in asOf ? { time: asOf.time.toISOString() } : asOf);
    console.log(
      JSON.stringify(
        {
          streamId,
          asOf: shownAsOf ?? 'now',
          streamVersion: loaded.streamVersion,
          position: loaded.position,
          state: loaded.state,
        },
        null,
        2,
      ),
    );
  } finally {
    await store.close();
  }
}
