import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { WalSync } from './wal-sync.js';

describe('WalSync', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  function database() {
    const dir = mkdtempSync(join(tmpdir(), 'hindsight-wal-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'log.sqlite');
    const db = new Database(file);
    cleanup.push(() => db.close());
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE events (position INTEGER PRIMARY KEY)');
    const head = () =>
      (db.prepare('SELECT coalesce(max(position), 0) AS p FROM events').get() as { p: number }).p;
    const append = () => db.prepare('INSERT INTO events DEFAULT VALUES').run();
    return { file, head, append };
  }

  it('covers what was there when it opened, and then each head as of a sync', async () => {
    const { file, head, append } = database();
    append();
    append();
    const wal = new WalSync(`${file}-wal`, head);
    cleanup.push(() => wal.close());
    expect(wal.durable).toBe(2);
    append();
    expect(wal.durable).toBe(2);
    await wal.sync();
    expect(wal.durable).toBe(3);
    expect(wal.completed).toBe(1);
  });

  it('calls that arrive while a sync runs share the next one, which starts after their writes', async () => {
    const { file, head, append } = database();
    const wal = new WalSync(`${file}-wal`, head);
    cleanup.push(() => wal.close());
    append();
    const first = wal.sync();
    append();
    const later = [wal.sync(), wal.sync(), wal.sync()];
    await Promise.all([first, ...later]);
    expect(wal.completed).toBe(2);
    expect(wal.durable).toBe(2);
  });

  it('syncs nothing once closed, and a store without a WAL yet has nothing to sync', async () => {
    const { file, head } = database();
    rmSync(`${file}-wal`, { force: true });
    const wal = new WalSync(`${file}-wal`, head);
    await wal.sync();
    await wal.close();
    await wal.sync();
    expect(wal.durable).toBe(0);
  });
});
