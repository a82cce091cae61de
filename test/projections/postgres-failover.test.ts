// Two processes run the same projection on one schema while this one appends: one owns it at a time (its
// session holds the projection's advisory lock), the view is never applied twice, and when the owner is killed
// the other takes over within seconds and catches up.
import type { ChildProcess } from 'node:child_process';
import { createPostgresEventStore, type PostgresEventStore } from 'hindsight/postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { databaseUrl, describePostgres, dropSchema, uniqueSchema } from '../support/postgres.js';
import { expectViewMatchesLog, killHard, startProjector } from './postgres-children.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describePostgres('PostgreSQL projection ownership', () => {
  const schema = uniqueSchema('failover');
  const children: ChildProcess[] = [];
  let store: PostgresEventStore;
  beforeAll(async () => {
    store = await createPostgresEventStore({ connectionString: databaseUrl, schema, poolSize: 6 });
  });
  afterAll(async () => {
    await Promise.all(children.map(killHard));
    await store.close();
    await dropSchema(schema);
  });

  /** The children's sessions holding a projection ownership lock now. */
  async function owners(): Promise<string[]> {
    const { rows } = await store.pool.query<{ name: string }>(
      `SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.classid = $1
         AND a.application_name LIKE $2`,
      [0x68736e6f, `${schema}%`],
    );
    return rows.map((r) => r.name);
  }

  it('one owner at a time; after kill -9 of the owner the other takes over and the view catches up', async () => {
    const names = [`${schema}_a`, `${schema}_b`];
    children.push(...(await Promise.all(names.map((n) => startProjector(schema, 'project', n)))));

    let writing = true;
    let appended = 0;
    const writer = (async () => {
      while (writing) {
        await Promise.all(
          Array.from({ length: 4 }, (_, w) =>
            store.appendToStream(`acc-${(appended + w) % 13}`, [
              { type: 'MoneyDeposited', data: { amount: ((appended + w) % 89) + 1 } },
            ]),
          ),
        );
        appended += 4;
      }
    })();

    const seen: string[][] = [];
    const watch = async (ms: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        const now = await owners();
        expect(now.length).toBeLessThanOrEqual(1);
        seen.push(now);
        await expectViewMatchesLog(store.pool, schema);
        await sleep(20);
      }
    };

    await watch(1500);
    const [first] = await owners();
    expect(names).toContain(first);
    const before = await expectViewMatchesLog(store.pool, schema);
    expect(before).toBeGreaterThan(0);

    await killHard(children[names.indexOf(first as string)] as ChildProcess);
    const killedAt = Date.now();
    let takeoverMs = -1;
    while (Date.now() - killedAt < 5000) {
      const [now] = await owners();
      if (now !== undefined) {
        expect(now).not.toBe(first);
        takeoverMs = Date.now() - killedAt;
        break;
      }
      await expectViewMatchesLog(store.pool, schema);
      await sleep(20);
    }
    expect(takeoverMs).toBeGreaterThanOrEqual(0);
    await watch(1000);

    writing = false;
    await writer;
    const head = await store.headPosition();
    let checkpoint = 0;
    for (const deadline = Date.now() + 5000; checkpoint < head && Date.now() < deadline; await sleep(20)) {
      checkpoint = await expectViewMatchesLog(store.pool, schema);
    }
    expect(checkpoint).toBe(head);
    expect(seen.every((o) => o.length <= 1)).toBe(true);
    console.info(
      `failover: took over ${takeoverMs} ms after kill -9; ${head} events, ${seen.length} samples`,
    );
  });
});
