import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'hindsight-package-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// The published shape, not the sources: build as `npm pack` does, install it by name in a scratch app,
// and import every subpath the way a user's ESM code would.
describe('the built package', () => {
  it('imports by its public names from a scratch folder and works', () => {
    const pkg = join(scratch, 'node_modules', 'hindsight');
    mkdirSync(pkg, { recursive: true });
    execFileSync(process.execPath, [
      join(root, 'node_modules/typescript/bin/tsc'),
      '-p',
      join(root, 'tsconfig.build.json'),
      '--outDir',
      join(pkg, 'dist'),
    ]);
    cpSync(join(root, 'package.json'), join(pkg, 'package.json'));
    // Its dependencies, as npm would have installed them beside it.
    symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'));
    writeFileSync(
      join(scratch, 'app.mjs'),
      `import { handleCommand, isHindsightError } from 'hindsight';
       import { createSqliteEventStore } from 'hindsight/sqlite';
       import { createPostgresEventStore } from 'hindsight/postgres';
       import { buildServer } from 'hindsight/server';
       const store = createSqliteEventStore({ file: ':memory:' });
       const account = {
         initialState: () => ({ balance: 0 }),
         evolve: (s, e) => ({ balance: s.balance + e.data.amount }),
         decide: (c) => ({ type: 'Deposited', data: { amount: c.data.amount } }),
       };
       const { state } = await handleCommand(store, 'a', account, { type: 'Deposit', data: { amount: 7 } });
       const conflict = await store.appendToStream('a', [{ type: 'X', data: 1 }], { expectedVersion: 0 }).catch((e) => e);
       console.log(JSON.stringify({ balance: state.balance, code: isHindsightError(conflict) && conflict.code,
         postgres: typeof createPostgresEventStore, server: typeof buildServer }));
       await store.close();`,
    );
    const out = execFileSync(process.execPath, [join(scratch, 'app.mjs')], { cwd: scratch }).toString();
    expect(JSON.parse(out)).toEqual({
      balance: 7,
      code: 'WrongExpectedVersion',
      postgres: 'function',
      server: 'function',
    });
  }, 120_000);
});
