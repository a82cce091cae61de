import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProjectionRunner, memoryProjection, type ProjectionRunner } from 'hindsight';
import { createSqliteEventStore, type SqliteEventStore } from 'hindsight/sqlite';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildServer, parseTokens, problemOf, type RouteModule } from '../../src/server/index.js';
import { type BankServer, tokens as bankTokens, startBankServer } from '../bank/server-process.js';
import { tokens } from './support.js';

// Debian's Chromium (.ci/run installs it). Without it the browser tests fail in CI and skip, saying so, elsewhere.
const executablePath = '/usr/bin/chromium';
const haveChromium = existsSync(executablePath);
const inCi = process.env.CI === 'true';
if (!haveChromium && !inCi) {
  console.warn(`SKIPPED the web UI's browser tests: ${executablePath} is missing (apt-get install chromium)`);
}

const counts = memoryProjection({
  name: 'counts',
  version: 1,
  initialState: () => new Map<string, number>(),
  evolve: (m, e) => m.set(e.type, (m.get(e.type) ?? 0) + 1),
});

/** A stand-in for the bank's read endpoints, answering in the shapes of the issue's contract. */
const accounts: RouteModule = (routes) => {
  const ada = {
    accountId: 'ada-1',
    owner: 'Ada',
    currency: 'EUR',
    balance: 123_45,
    status: 'open',
    version: 2,
  };
  routes.json({
    method: 'GET',
    path: '/accounts',
    summary: 'accounts (test stand-in)',
    query: z.object({ limit: z.coerce.number().optional(), cursor: z.string().optional() }),
    responses: { 200: { description: 'a page' } },
    handler: async () => ({ status: 200, body: { items: [ada], next: null } }),
  });
  routes.json({
    method: 'GET',
    path: '/accounts/{id}',
    summary: 'one account (test stand-in)',
    params: z.object({ id: z.string() }),
    responses: { 200: { description: 'the account' } },
    handler: async ({ params }) => {
      if (params.id !== ada.accountId) throw problemOf('NotFound', 'no such account');
      return { status: 200, body: ada };
    },
  });
  routes.json({
    method: 'GET',
    path: '/accounts/{id}/history',
    summary: 'history (test stand-in)',
    params: z.object({ id: z.string() }),
    query: z.object({ limit: z.coerce.number().optional(), cursor: z.string().optional() }),
    responses: { 200: { description: 'the history' } },
    handler: async () => ({
      status: 200,
      body: {
        items: [
          {
            eventId: 'e1',
            position: 1,
            version: 1,
            type: 'AccountOpened',
            actor: 'ada',
            at: new Date().toISOString(),
          },
          {
            eventId: 'e2',
            position: 2,
            version: 2,
            type: 'MoneyDeposited',
            amount: 123_45,
            balanceAfter: 123_45,
            actor: 'teller-tom',
            at: new Date().toISOString(),
            correlationId: null,
          },
        ],
      },
    }),
  });
};

async function startServer(modules: RouteModule[]) {
  const dir = mkdtempSync(join(tmpdir(), 'hindsight-ui-'));
  const store: SqliteEventStore = createSqliteEventStore({
    file: join(dir, 'events.sqlite'),
    durability: 'normal',
  });
  const runner: ProjectionRunner = createProjectionRunner(store, [counts], { pollIntervalMs: 10 });
  await runner.start();
  const app = await buildServer({
    store,
    runner,
    modules,
    tokens: parseTokens(
      `${tokens.reader}:rita:reader,${tokens.writer}:will:writer,${tokens.admin}:ada:admin`,
    ),
    liveFeed: { pollIntervalMs: 20 },
  });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    base,
    async close() {
      await app.close();
      await runner.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let browser: Browser | undefined;
let server: Awaited<ReturnType<typeof startServer>>;
let bare: Awaited<ReturnType<typeof startServer>>;
/** A real `hindsight serve` process: the bank with its projections and transfer sagas. */
let bank: BankServer | undefined;

beforeAll(async () => {
  if (!haveChromium) return;
  server = await startServer([accounts]);
  bare = await startServer([]);
  bank = await startBankServer();
  browser = await chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await bare?.close();
  await bank?.stop();
});

/** A fresh page that fails the test on any script error or Content-Security-Policy violation. */
async function openPage(): Promise<{ page: Page; errors: string[] }> {
  const page = await (browser as Browser).newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('console', (message) => {
    if (/Content Security Policy|Uncaught/i.test(message.text())) errors.push(message.text());
  });
  return { page, errors };
}

async function useToken(page: Page, token: string) {
  await page.fill('#token', token);
  await page.click('#token-form button[type=submit]');
  await page.locator('#token-status', { hasText: 'token accepted' }).waitFor();
}

describe.runIf(!haveChromium && inCi)('the web UI in a browser', () => {
  it('needs Chromium at /usr/bin/chromium in CI', () => {
    throw new Error(`${executablePath} is missing: .ci/run installs it with apt-get install chromium`);
  });
});

describe.skipIf(!haveChromium)('the web UI in a browser', () => {
  it('takes a token, follows the live feed, lists projections and browses a stream', async () => {
    const { page, errors } = await openPage();
    const res = await page.goto(`${server.base}/`);
    expect(res?.status()).toBe(200);
    expect(page.url()).toBe(`${server.base}/ui/`);
    await page.locator('#token-status', { hasText: 'no token' }).waitFor();

    await useToken(page, tokens.admin);
    expect(await page.evaluate(() => localStorage.getItem('hindsight.token'))).toBe(tokens.admin);
    await page.locator('#live-status', { hasText: 'live' }).waitFor();

    // Appended through the API by another client: it shows up in the feed.
    const appended = await fetch(`${server.base}/streams/ui-1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.writer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events: [{ type: 'SeenInTheBrowser', data: { note: '<b>not html</b>' } }] }),
    });
    expect(appended.status).toBe(201);
    const row = page.locator('#live-events tr', { hasText: 'SeenInTheBrowser' });
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toContain('will'); // the actor of the writer's token
    expect(await row.textContent()).toContain('<b>not html</b>'); // data shown as text, never parsed

    await page.click('nav a[href="#projections"]');
    const counted = page.locator('#projections-rows tr[data-projection="counts"]');
    await counted.waitFor();
    expect(await counted.textContent()).toMatch(/live|catching_up/);
    await counted.locator('button', { hasText: 'Rebuild' }).click();
    await page.locator('#rebuild-message', { hasText: 'Rebuilding counts' }).waitFor();

    await page.click('nav a[href="#streams"]');
    await page.fill('#stream-id', 'ui-1');
    await page.click('#stream-form button[type=submit]');
    await page.locator('#stream-events tr', { hasText: 'SeenInTheBrowser' }).waitFor();
    await page.fill('#stream-id', 'no-such-stream');
    await page.click('#stream-form button[type=submit]');
    await page.locator('#stream-message', { hasText: 'No stream no-such-stream' }).waitFor();

    // The token outlives a reload, and the feed resumes.
    await page.reload();
    await page.locator('#token-status', { hasText: 'token accepted' }).waitFor();
    await page.click('nav a[href="#live"]');
    await page.locator('#live-status', { hasText: 'live' }).waitFor();
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('shows accounts and an account’s history, and says so when the server has no bank API', async () => {
    const { page, errors } = await openPage();
    await page.goto(`${server.base}/ui/#accounts`);
    await useToken(page, tokens.reader);
    const ada = page.locator('#accounts-rows tr', { hasText: 'ada-1' });
    await ada.waitFor();
    expect(await ada.textContent()).toContain('Ada');
    await ada.locator('a').click();
    await page.locator('#history-rows tr', { hasText: 'MoneyDeposited' }).waitFor();
    expect(await page.locator('#account-facts').textContent()).toContain('12345 minor units');

    // A reader may look but not rebuild.
    await page.click('nav a[href="#projections"]');
    await page.locator('#projections-rows tr[data-projection="counts"] button').click();
    await page.locator('#rebuild-message', { hasText: 'needs an admin token' }).waitFor();

    await page.goto(`${bare.base}/ui/#accounts`);
    await useToken(page, tokens.reader);
    await page.locator('#accounts-message', { hasText: 'no accounts API' }).waitFor();
    await page.evaluate(() => {
      location.hash = '#transfers/t-1';
    });
    await page.locator('#transfers-message', { hasText: 'no transfers API' }).waitFor();
    await page.click('nav a[href="#reports"]');
    await page.locator('#report-message', { hasText: 'no daily report' }).waitFor();
    await page.click('nav a[href="#alerts"]');
    await page.locator('#alerts-message', { hasText: 'no alerts' }).waitFor();
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('starts and follows transfers, lists recent ones, shows the daily report and alerts of the real bank', async () => {
    const b = bank as BankServer;
    const post = async (path: string, body?: unknown) => {
      const res = await b.call('POST', path, { as: 'writer', body });
      expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
      return res;
    };
    for (const id of ['ui-ada', 'ui-bob', 'ui-gone']) await post('/accounts', { accountId: id, owner: id });
    await post('/accounts/ui-ada/deposits', { amount: 1_600_000 });
    await post('/accounts/ui-gone/close');
    await post('/accounts/ui-ada/withdrawals', { amount: 1_000_000 }); // a large withdrawal: an alert

    const { page, errors } = await openPage();
    await page.goto(`${b.url}/ui/#transfers`);
    await useToken(page, bankTokens.writer);
    await page.locator('#transfers-message', { hasText: 'No transfers yet' }).waitFor();

    /** Starts a transfer with the form, and waits on its page until it ends as expected. */
    const startTransfer = async (from: string, to: string, amount: string, ending: string) => {
      await page.click('nav a[href="#transfers"]');
      await page.fill('#transfer-from', from);
      await page.fill('#transfer-to', to);
      await page.fill('#transfer-amount', amount);
      await page.click('#transfer-form button[type=submit]');
      await page.locator(`#transfer-facts .badge.${ending}`).waitFor({ timeout: 15_000 });
      return decodeURIComponent(page.url().split('#transfers/')[1] ?? '');
    };
    const completed = await startTransfer('ui-ada', 'ui-bob', '2500', 'completed');
    expect(await page.locator('#transfers-message').textContent()).toContain(`Started transfer ${completed}`);
    expect(await page.locator('#transfer-steps tr[data-step="credit"]').textContent()).toContain('succeeded');
    expect(await page.locator('#transfer-facts').textContent()).toContain('2,500 minor units');
    const failed = await startTransfer('ui-bob', 'ui-ada', '999999999', 'failed');
    expect(await page.locator('#transfer-facts').textContent()).toMatch(/debit failed: .*balance 2500/);
    const compensated = await startTransfer('ui-ada', 'ui-gone', '100', 'compensated');
    expect(await page.locator('#transfer-steps tr[data-step="debit"]').textContent()).toContain(
      'compensated',
    );
    expect(await page.locator('#transfer-stream').getAttribute('href')).toBe(
      `#streams/${encodeURIComponent(`saga:transfer:${compensated}`)}`,
    );

    // The list, newest first, from the log's SagaStarted events; one started elsewhere shows up on a refresh.
    await page.click('nav a[href="#transfers"]');
    for (const [id, status] of [
      [completed, 'completed'],
      [failed, 'failed'],
      [compensated, 'compensated'],
    ] as const) {
      await page.locator(`#transfers-rows tr[data-transfer="${id}"]`, { hasText: status }).waitFor();
    }
    expect(await page.locator('#transfers-rows tr').first().getAttribute('data-transfer')).toBe(compensated);
    const other = await post('/transfers', { from: 'ui-ada', to: 'ui-bob', amount: 1 });
    const otherRow = page.locator(`#transfers-rows tr[data-transfer="${other.body.transferId}"]`);
    await otherRow.filter({ hasText: 'completed' }).waitFor({ timeout: 10_000 });
    expect(await otherRow.textContent()).toContain('will'); // who started it
    // The server's refusal, as it says it.
    await page.fill('#transfer-from', 'ui-ada');
    await page.fill('#transfer-to', 'ui-ada');
    await page.fill('#transfer-amount', '5');
    await page.click('#transfer-form button[type=submit]');
    await page.locator('#transfers-message', { hasText: 'must be another account' }).waitFor();
    await page.evaluate(() => {
      location.hash = '#transfers/no-such-transfer';
    });
    await page.locator('#transfers-message', { hasText: 'No transfer no-such-transfer' }).waitFor();

    // The daily report: two transfers reached their target today (the refunded one did not).
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await expect
      .poll(
        async () =>
          (await b.call('GET', `/reports/daily?from=${today}&to=${today}`)).body.days[0].transferCount,
      )
      .toBe(2);
    await page.click('nav a[href="#reports"]');
    const day = page.locator(`#report-rows tr[data-day="${today}"]`);
    await day.waitFor();
    expect((await day.locator('td').allTextContents()).slice(1)).toEqual([
      '1',
      '1,600,000',
      '1',
      '1,000,000',
      '2',
      '2,501',
    ]);
    await page.fill('#report-from', yesterday);
    await page.fill('#report-to', yesterday);
    await page.click('#report-form button[type=submit]');
    await page.locator(`#report-rows tr.quiet[data-day="${yesterday}"]`).waitFor();
    await page.fill('#report-to', '2000-01-01');
    await page.click('#report-form button[type=submit]');
    await page.locator('#report-message', { hasText: 'must not be before from' }).waitFor();

    // Alerts: the large withdrawal, and none on another account.
    await expect.poll(async () => (await b.call('GET', '/alerts')).body.items.length).toBeGreaterThan(0);
    await page.click('nav a[href="#alerts"]');
    const alert = page.locator('#alerts-rows tr', { hasText: 'large-withdrawal' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain('ui-ada');
    await page.fill('#alerts-account', 'ui-bob');
    await page.click('#alerts-form button[type=submit]');
    await page.locator('#alerts-message', { hasText: 'No alerts on ui-bob' }).waitFor();

    // A reader sees it all but cannot start a transfer.
    await useToken(page, bankTokens.reader);
    await page.click('nav a[href="#transfers"]');
    await page.fill('#transfer-from', 'ui-ada');
    await page.fill('#transfer-to', 'ui-bob');
    await page.fill('#transfer-amount', '5');
    await page.click('#transfer-form button[type=submit]');
    await page.locator('#transfers-message', { hasText: 'needs a writer or admin token' }).waitFor();
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);

  it('serves its files without a token, with a strict content security policy', async () => {
    const index = await fetch(`${server.base}/ui/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    const script = await fetch(`${server.base}/ui/app.js`);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await fetch(`${server.base}/ui/..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${server.base}/ui/nope.js`)).status).toBe(404);
  });
});
