import type { Decider, Message } from '../decider/decider.js';
import { account } from '../domains/bank/account.js';
import type { JsonValue, RecordedEvent } from '../events/event.js';
import type { SnapshotStore } from '../snapshots/snapshot-store.js';
import { createSqliteSnapshotStore } from '../sqlite/snapshots.js';
import { type OpenStore, openStore, type StoreFlags, storeLocation } from './open-store.js';
import { progress } from './output.js';

/** A decider whose state the CLI can snapshot: the snapshot's name and shape version, and its streams. */
export interface SnapshotDecider {
  decider: Pick<Decider<Message, Message, unknown>, 'initialState' | 'evolve'>;
  /** The snapshot name and shape version the service's command handling loads (its `SnapshotPolicy`). */
  name: string;
  shapeVersion: number;
  /** The prefix of its streams: what `snapshots rebuild` covers when given no stream. */
  streamPrefix: string;
}

/** The deciders this CLI knows, by the name `--decider` takes. */
export const snapshotDeciders: Record<string, SnapshotDecider> = {
  account: {
    decider: account as unknown as SnapshotDecider['decider'],
    name: 'account',
    shapeVersion: 1,
    streamPrefix: 'account-',
  },
};

export interface SnapshotsRebuildFlags extends StoreFlags {
  prefix?: string;
  decider?: string;
}

/**
 * `hindsight snapshots rebuild [stream]`: folds each stream (one, every stream of `--prefix`, or every stream of
 * the decider) from its first event and saves a snapshot of its state now, replacing older ones of other shapes.
 */
export async function snapshotsRebuildCommand(
  streamId: string | undefined,
  flags: SnapshotsRebuildFlags,
): Promise<void> {
  const deciderName = flags.decider ?? 'account';
  const known = snapshotDeciders[deciderName];
  if (!known) {
    throw new Error(
      `--decider must be one of ${Object.keys(snapshotDeciders).join(', ')}, got ${deciderName}`,
    );
  }
  if (streamId !== undefined && flags.prefix !== undefined)
    throw new Error('give a stream or --prefix, not both');
  const opened = await openStore(storeLocation(flags), { create: false });
  try {
    const snapshots = await snapshotStoreFor(opened);
    const started = Date.now();
    let streams: string[];
    if (streamId !== undefined) {
      if ((await opened.store.streamVersion(streamId)) === 0)
        throw new Error(`no stream ${JSON.stringify(streamId)}`);
      streams = [streamId];
    } else {
      streams = await streamsOf(opened, flags.prefix ?? known.streamPrefix);
    }
    const bar = progress(`snapshotting ${known.name}: stream`, streams.length);
    let events = 0;
    for (const [i, id] of streams.entries()) {
      events += await snapshotStream(opened, snapshots, known, id);
      bar.tick(i + 1);
    }
    bar.done();
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const scope = streamId ?? `streams starting with ${JSON.stringify(flags.prefix ?? known.streamPrefix)}`;
    console.log(
      `snapshotted ${streams.length} stream${streams.length === 1 ? '' : 's'} (${scope}) as ` +
        `${known.name} shape ${known.shapeVersion}, folding ${events.toLocaleString('en')} events in ${seconds} s`,
    );
  } finally {
    await opened.store.close();
  }
}

/** Folds one stream from its first event and saves the state at its last version; returns the events folded. */
async function snapshotStream(
  opened: OpenStore,
  snapshots: SnapshotStore,
  known: SnapshotDecider,
  streamId: string,
): Promise<number> {
  let state = known.decider.initialState();
  let last: RecordedEvent | undefined;
  let count = 0;
  for await (const event of opened.store.readStream(streamId)) {
    state = known.decider.evolve(state, event as unknown as Message);
    last = event;
    count++;
  }
  if (!last) return 0;
  await snapshots.save({
    streamId,
    name: known.name,
    shapeVersion: known.shapeVersion,
    streamVersion: last.streamVersion,
    position: last.position,
    recordedAt: last.recordedAt,
    state: state as JsonValue,
    takenAt: new Date(),
  });
  return count;
}

/** The ids of the streams whose id starts with `prefix`, in the order they first appear in the log. */
async function streamsOf(opened: OpenStore, prefix: string): Promise<string[]> {
  const seen = new Set<string>();
  for await (const event of opened.store.readAll({ streamPrefix: prefix, batchSize: 5000 })) {
    seen.add(event.streamId);
  }
  return [...seen];
}

/** `hindsight snapshots prune`: deletes snapshots (all, or those of one name). They are derived: answers stay. */
export async function snapshotsPruneCommand(flags: StoreFlags & { name?: string }): Promise<void> {
  const opened = await openStore(storeLocation(flags), { create: false });
  try {
    const deleted = await (await snapshotStoreFor(opened)).deleteAll(flags.name);
    const which = flags.name === undefined ? '' : ` named ${flags.name}`;
    console.log(
      `deleted ${deleted} snapshot${deleted === 1 ? '' : 's'}${which}; states fold from the events until new ones are taken`,
    );
  } finally {
    await opened.store.close();
  }
}

async function snapshotStoreFor(opened: OpenStore): Promise<SnapshotStore> {
  if (opened.kind === 'sqlite') return createSqliteSnapshotStore(opened.store);
  const { createPostgresSnapshotStore } = await import('../postgres/snapshots.js');
  return createPostgresSnapshotStore(opened.store);
}
