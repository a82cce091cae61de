// Profiling aid: `node --import tsx --cpu-prof --cpu-prof-dir=<dir> bench/profile-load-state.ts` loads one
// 10,000-event account stream 200 times without a snapshot, so the profile shows where loadState spends its time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadState } from '../src/commands/load-state.js';
import { account } from '../src/domains/bank/account.js';
import { createSqliteEventStore } from '../src/sqlite/index.js';

const folder = mkdtempSync(join(tmpdir(), 'hindsight-profile-'));
const store = createSqliteEventStore({ file: join(folder, 'events.sqlite') });
try {
  await store.appendToStream('account-long', [
    { type: 'AccountOpened', data: { owner: 'p', currency: 'EUR' } },
  ]);
  for (let i = 0; i < 10; i++) {
    const n = i === 9 ? 999 : 1000;
    await store.appendToStream(
      'account-long',
      Array.from({ length: n }, (_, k) => ({ type: 'MoneyDeposited', data: { amount: 100 + k } })),
    );
  }
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const start = performance.now();
    await loadState(store, 'account-long', account);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  console.log(`p50 ${times[100]?.toFixed(2)} ms, min ${times[0]?.toFixed(2)} ms`);
} finally {
  await store.close();
  rmSync(folder, { recursive: true, force: true });
}
