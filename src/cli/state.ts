import { loadState } from '../commands/load-state.js';
import type { Decider, Message } from '../decider/decider.js';
import type { AsOf } from '../store/event-store.js';
import { optionalInteger } from './log-commands.js';
import { openStore, type StoreFlags, storeLocation } from './open-store.js';

export interface StateFlags extends StoreFlags {
  version?: string;
  position?: string;
  at?: string;
}

type Folding = Pick<Decider<Message, Message, unknown>, 'initialState' | 'evolve'>;

/**
 * The bank's account decider, found beside the package's sources. It is loaded by URL, not imported, because
 * the domain is not part of the published `dist/` (it is an application of the library, not the library).
 */
async function bankAccount(): Promise<Folding> {
  const url = new URL('../../domains/bank/account.js', import.meta.url);
  try {
    const module = (await import(url.href)) as { account: Folding };
    return module.account;
  } catch (error) {
    throw new Error(
      `the state command folds with the bank account decider, which was not found at ${url.pathname}`,
      {
        cause: error,
      },
    );
  }
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
  const decider = await bankAccount();
  const { store } = await openStore(storeLocation(flags), { create: false });
  try {
    if ((await store.streamVersion(streamId)) === 0) throw new Error(`no stream ${JSON.stringify(streamId)}`);
    const loaded = await loadState(store, streamId, decider, asOf ? { asOf } : {});
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
