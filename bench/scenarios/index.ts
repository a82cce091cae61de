import { batchAppends } from './batch-appends.js';
import { concurrentAppenders } from './concurrent-appenders.js';
import { growth } from './growth.js';
import { hotStream } from './hot-stream.js';
import { loadStream, loadStreamSnapshot } from './load-stream.js';
import { rebuildBalances } from './rebuild-balances.js';
import { replay } from './replay.js';
import { sequentialAppends } from './sequential-appends.js';
import type { Scenario } from './types.js';

/** Every scenario, in the order they run and are reported. */
export const scenarios: readonly Scenario[] = [
  sequentialAppends,
  batchAppends,
  concurrentAppenders,
  hotStream,
  loadStream,
  loadStreamSnapshot,
  replay,
  rebuildBalances,
  growth,
];
