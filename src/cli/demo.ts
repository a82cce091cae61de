import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminTokenFile } from '../server/tokens.js';
import { BankClient } from './demo-client.js';
import { between, count, type DemoAccount, DemoTraffic, Tally } from './demo-traffic.js';
import { optionalInteger } from './log-commands.js';
import { storeLocation } from './open-store.js';

export interface DemoFlags {
  url: string;
  token?: string;
  data?: string;
  accounts: string;
  duration: string;
  operations?: string;
  concurrency: string;
  prefix?: string;
  settleTimeout: string;
}

/** What one run does, from the flags. */
interface DemoPlan {
  url: string;
  token: string;
  accounts: number;
  closed: number;
  durationMs: number;
  operations: number | undefined;
  concurrency: number;
  prefix: string;
  settleMs: number;
}

const owners = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Tony'];
const n = count;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `hindsight demo`: realistic traffic against a running bank server over HTTP. Opens accounts (a few of them
 * closed at once), then runs deposits, withdrawals and transfers from many clients, some bound to fail
 * (too little money, a closed account), with a few large withdrawals and bursts of withdrawals that raise
 * alerts; then waits for every transfer to settle and prints a one-line summary. Resolves to the exit code:
 * 1 when something no bank client should see happened (a 5xx, a lost connection) or a transfer never settled.
 */
export async function demoCommand(flags: DemoFlags): Promise<number> {
  const plan = demoPlan(flags);
  const bank = new BankClient(plan.url, plan.token);
  await preflight(bank);
  const started = Date.now();

  // Setup: accounts with money, and a few closed ones for transfers and deposits to bounce off.
  const setup = new Tally();
  const open: DemoAccount[] = [];
  const closed: string[] = [];
  const ids = Array.from({ length: plan.accounts + plan.closed }, (_, i) => i);
  const setupProgress = reporter(() => `demo: opening accounts, ${n(open.length + closed.length)} so far`);
  try {
    await inParallel(ids, plan.concurrency, async (i) => {
      const willClose = i >= plan.accounts;
      const id = willClose
        ? `${plan.prefix}-closed-${String(i - plan.accounts + 1).padStart(3, '0')}`
        : `${plan.prefix}-${String(i + 1).padStart(3, '0')}`;
      const opened = await bank.post('/accounts', { accountId: id, owner: owners[i % owners.length] });
      setup.add('open', opened.outcome);
      if (opened.status === 403)
        throw new Error(`the token's role cannot run commands: ${opened.body?.detail}`);
      if (opened.outcome !== 'ok') return;
      if (willClose) {
        setup.add('close', (await bank.post(`/accounts/${id}/close`)).outcome);
        closed.push(id);
        return;
      }
      const deposit = await bank.post(`/accounts/${id}/deposits`, { amount: between(50_000, 500_000) });
      setup.add('deposit', deposit.outcome);
      open.push({ id, balance: deposit.outcome === 'ok' ? deposit.body.balance : 0 });
    });
  } finally {
    setupProgress.stop();
  }
  if (open.length < 2) {
    const hint = setup.describe().includes('AccountExists') ? ' (pick another --prefix)' : '';
    throw new Error(`could only open ${open.length} account(s): ${setup.describe()}${hint}`);
  }
  process.stderr.write(
    `demo: ${open.length} accounts open and ${closed.length} closed (${plan.prefix}-…) on ${plan.url}; ` +
      `${plan.operations === undefined ? `${plan.durationMs / 1000} s` : `${n(plan.operations)} operations`} ` +
      `of traffic from ${plan.concurrency} clients\n`,
  );

  // Traffic: each client runs operations until the time or the operations are used up.
  let budget = plan.operations ?? Number.POSITIVE_INFINITY;
  let stopAt = Date.now() + (plan.operations === undefined ? plan.durationMs : Number.POSITIVE_INFINITY);
  const interrupt = () => {
    stopAt = 0;
    process.stderr.write('\ndemo: interrupted, letting the transfers settle (Ctrl-C again to quit)\n');
  };
  process.once('SIGINT', interrupt);
  const traffic = new DemoTraffic(bank, open, closed, () => {
    if (budget <= 0 || Date.now() >= stopAt) return false;
    budget--;
    return true;
  });
  const { tally, transfers } = traffic;

  const trafficStart = Date.now();
  const elapsed = () => (Date.now() - trafficStart) / 1000;
  const trafficProgress = reporter(
    () =>
      `demo: ${elapsed().toFixed(1)} s, ${n(tally.total)} operations ` +
      `(${Math.round(tally.total / Math.max(elapsed(), 0.001))}/s), ${n(transfers.length)} transfers started`,
  );
  try {
    await Promise.all(Array.from({ length: plan.concurrency }, () => traffic.client()));
  } finally {
    trafficProgress.stop();
    process.off('SIGINT', interrupt);
  }
  const trafficSeconds = elapsed();

  // Settling: every transfer ends completed, failed or compensated; ask until none is pending.
  const ended = new Map<string, number>();
  let pending = [...transfers];
  const settleDeadline = Date.now() + plan.settleMs;
  const settleProgress = reporter(() => `demo: waiting for ${n(pending.length)} transfers to settle`);
  while (pending.length > 0 && Date.now() < settleDeadline) {
    const still: string[] = [];
    await inParallel(pending, plan.concurrency, async (id) => {
      const answer = await bank.get(`/transfers/${encodeURIComponent(id)}`);
      const status: string = answer.outcome === 'ok' ? answer.body.status : answer.outcome;
      if (status === 'pending' || answer.status === 0 || answer.status >= 500) still.push(id);
      else ended.set(status, (ended.get(status) ?? 0) + 1);
    });
    pending = still;
    if (pending.length > 0) await sleep(200);
  }
  settleProgress.stop();
  if (pending.length > 0) ended.set('pending', pending.length);

  const alerts = await countAlerts(bank, plan.prefix, traffic.positionSeen);
  const unexpected = tally.unexpected();
  for (const [outcome, c] of setup.unexpected()) unexpected.set(outcome, (unexpected.get(outcome) ?? 0) + c);
  const order = ['completed', 'failed', 'compensated'];
  const transfersText = [...order, ...[...ended.keys()].filter((s) => !order.includes(s))]
    .map((s) => `${n(ended.get(s) ?? 0)} ${s}`)
    .join(', ');
  const alertsText =
    alerts.total === undefined
      ? 'alerts unknown (the alerts view did not catch up)'
      : `${n(alerts.total)} alerts (${[...alerts.byRule].map(([r, c]) => `${n(c)} ${r}`).join(', ') || 'none'})`;
  const problems =
    unexpected.size === 0
      ? ''
      : `; UNEXPECTED: ${[...unexpected].map(([o, c]) => `${n(c)} ${o}`).join(', ')}`;
  console.log(
    `demo ${plan.prefix}: ${n(open.length)} accounts (+${n(closed.length)} closed); ` +
      `${n(tally.total)} operations in ${trafficSeconds.toFixed(1)} s ` +
      `(${Math.round(tally.total / Math.max(trafficSeconds, 0.001))}/s): ${tally.describe()}; ` +
      `transfers ${transfersText}; ${alertsText}; ${((Date.now() - started) / 1000).toFixed(1)} s in all${problems}`,
  );
  return unexpected.size > 0 || pending.length > 0 ? 1 : 0;
}

/** Reads and checks the flags; the token from `--token`, `HINDSIGHT_TOKEN` or the data folder's admin token. */
function demoPlan(flags: DemoFlags): DemoPlan {
  let url: URL;
  try {
    url = new URL(flags.url);
  } catch {
    throw new Error(`--url must be an http:// or https:// address, got ${flags.url}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`--url must be an http:// or https:// address, got ${flags.url}`);
  }
  const prefix = flags.prefix ?? `demo-${randomBytes(3).toString('hex')}`;
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(prefix)) {
    throw new Error(`--prefix must be 1 to 40 letters, digits, _ or -, got ${flags.prefix}`);
  }
  const accounts = optionalInteger(flags.accounts, '--accounts', 2) as number;
  const concurrency = optionalInteger(flags.concurrency, '--concurrency', 1) as number;
  if (accounts > 10_000) throw new Error('--accounts must be at most 10000');
  if (concurrency > 256) throw new Error('--concurrency must be at most 256');
  return {
    url: url.toString().replace(/\/$/, ''),
    token: demoToken(flags),
    accounts,
    closed: Math.max(1, Math.ceil(accounts / 10)),
    durationMs: seconds(flags.duration, '--duration') * 1000,
    operations: optionalInteger(flags.operations, '--operations', 1),
    concurrency,
    prefix,
    settleMs: seconds(flags.settleTimeout, '--settle-timeout') * 1000,
  };
}

function demoToken(flags: DemoFlags): string {
  if (flags.token !== undefined && flags.token.trim() !== '') return flags.token.trim();
  const file = join(
    storeLocation({ ...(flags.data === undefined ? {} : { data: flags.data }) }).dataDir,
    adminTokenFile,
  );
  if (!existsSync(file)) {
    throw new Error(
      `no token: pass --token, set HINDSIGHT_TOKEN, or point --data at the server's data folder (no ${file})`,
    );
  }
  return readFileSync(file, 'utf8').trim();
}

function seconds(text: string, flag: string): number {
  const value = Number(text);
  if (!/^[0-9]+(\.[0-9]+)?$/.test(text) || !(value > 0) || value > 86_400) {
    throw new Error(`${flag} must be a number of seconds above 0 and at most 86400, got ${text}`);
  }
  return value;
}

/** Fails early and clearly when the server is not there, refuses the token, or is not the bank. */
async function preflight(bank: BankClient): Promise<void> {
  const answer = await bank.get('/accounts?limit=1');
  if (answer.status === 0) throw new Error(`cannot reach ${bank.base}: ${answer.body?.detail}`);
  if (answer.status === 401) throw new Error(`${bank.base} refused the token (401): check --token`);
  if (answer.status === 404) throw new Error(`${bank.base} has no accounts API: is it hindsight serve?`);
  if (answer.outcome !== 'ok') throw new Error(`GET /accounts answered ${answer.status} ${answer.outcome}`);
}

/** The alerts on the demo's accounts, once the alerts view has applied the demo's last withdrawal. */
async function countAlerts(
  bank: BankClient,
  prefix: string,
  position: number,
): Promise<{ total: number | undefined; byRule: Map<string, number> }> {
  const byRule = new Map<string, number>();
  let total = 0;
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ limit: '1000', minPosition: String(position), timeoutMs: '30000' });
    if (cursor !== undefined) query.set('cursor', cursor);
    const answer = await bank.get(`/alerts?${query}`);
    if (answer.outcome !== 'ok') return { total: undefined, byRule };
    for (const alert of answer.body.items as { rule: string; accountId: string }[]) {
      if (!alert.accountId.startsWith(`${prefix}-`)) continue;
      total++;
      byRule.set(alert.rule, (byRule.get(alert.rule) ?? 0) + 1);
    }
    cursor = answer.body.next ?? undefined;
  } while (cursor !== undefined);
  return { total, byRule };
}

/** Runs `work` on every item, at most `limit` at a time. */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

/**
 * Progress on stderr: redrawn in place ten times a second on a terminal, a line every two seconds otherwise
 * (a log keeps it readable); `stop` clears the terminal's line so the summary stands alone.
 */
function reporter(line: () => string): { stop(): void } {
  const live = process.stderr.isTTY === true;
  const timer = setInterval(
    () => process.stderr.write(live ? `\r${line()}\u001b[K` : `${line()}\n`),
    live ? 100 : 2000,
  );
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      if (live) process.stderr.write('\r\u001b[K');
    },
  };
}
