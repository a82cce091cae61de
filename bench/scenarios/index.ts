import { batchAppends } from './batch-appends.js';
import { concurrentAppenders } from './concurrent-appenders.js';
import { replay } from './replay.js';
import { sequentialAppends } from './sequential-appends.js';
import type { Scenario } from './types.js';

/** Every scenario, in the order they run and are reported. */
export const scenarios: readonly Scenario[] = [sequentialAppends, batchAppends, concurrentAppenders, replay];
