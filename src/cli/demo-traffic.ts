import { type Answer, type BankClient, expectedRefusals } from './demo-client.js';

/** Outcomes counted by kind of operation: `deposit` → `ok` 120, `AccountClosed` 3. */
export class Tally {
  private readonly counts = new Map<string, Map<string, number>>();

  add(kind: string, outcome: string, n = 1): void {
    const byOutcome = this.counts.get(kind) ?? new Map<string, number>();
    byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + n);
    this.counts.set(kind, byOutcome);
  }

  get total(): number {
    let n = 0;
    for (const byOutcome of this.counts.values()) for (const c of byOutcome.values()) n += c;
    return n;
  }

  /** Outcomes no bank client should see (a 5xx, a lost connection, input the server refused): `http-500` → 2. */
  unexpected(): Map<string, number> {
    const found = new Map<string, number>();
    for (const byOutcome of this.counts.values()) {
      for (const [outcome, c] of byOutcome) {
        if (!expectedRefusals.has(outcome)) found.set(outcome, (found.get(outcome) ?? 0) + c);
      }
    }
    return found;
  }

  /** `deposit 120 ok, 3 AccountClosed; withdrawal 80 ok, 17 InsufficientFunds` */
  describe(): string {
    return [...this.counts]
      .map(([kind, byOutcome]) => `${kind} ${[...byOutcome].map(([o, c]) => `${count(c)} ${o}`).join(', ')}`)
      .join('; ');
  }
}

/** An account the demo drives, with its balance as the last answer about it said (others move it too). */
export interface DemoAccount {
  id: string;
  balance: number;
}

export const count = (n: number) => n.toLocaleString('en');
export const between = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

type TransferKind = 'ordinary' | 'to-closed' | 'too-large';

/**
 * The demo's mix of operations on a set of open and closed accounts, each HTTP command one operation counted
 * by kind and outcome. `take` claims an operation and says false once the run is over. Each client first takes
 * one of a short tour (one of every failing case and every alert), so even a short run shows them all, then
 * picks at random by weight.
 *
 * @example
 * const traffic = new DemoTraffic(bank, open, closed, () => Date.now() < stopAt);
 * await Promise.all([traffic.client(), traffic.client()]);
 */
export class DemoTraffic {
  readonly tally = new Tally();
  /** Ids of the transfers the server accepted (202), to follow until they end. */
  readonly transfers: string[] = [];
  /** The highest log position an answer gave: the views have caught up with the demo once they reach it. */
  positionSeen = 0;

  private readonly tour: (() => Promise<void>)[] = [
    () => this.transfer('to-closed'),
    () => this.transfer('too-large'),
    () => this.withdrawal(true),
    () => this.largeWithdrawal(),
    () => this.burst(),
    () => this.depositToClosed(),
  ];

  private readonly mix: { weight: number; run: () => Promise<void> }[] = [
    { weight: 32, run: () => this.deposit() },
    { weight: 2, run: () => this.depositToClosed() },
    // A quarter of the withdrawals ask for more than the account holds: InsufficientFunds.
    { weight: 29, run: () => this.withdrawal(Math.random() < 0.25) },
    // Most transfers complete; some go to a closed account (refunded: compensated), some are too large (failed).
    {
      weight: 33,
      run: () => {
        const roll = Math.random();
        return this.transfer(roll < 0.12 ? 'to-closed' : roll < 0.24 ? 'too-large' : 'ordinary');
      },
    },
    { weight: 2, run: () => this.largeWithdrawal() },
    { weight: 1, run: () => this.burst() },
  ];

  constructor(
    private readonly bank: BankClient,
    private readonly open: readonly DemoAccount[],
    private readonly closed: readonly string[],
    private readonly take: () => boolean,
  ) {}

  /** One client: operations one after another until `take` says the run is over. */
  async client(): Promise<void> {
    while (this.take()) await (this.tour.shift() ?? this.choose())();
  }

  private choose(): () => Promise<void> {
    let roll = Math.random() * this.mix.reduce((sum, o) => sum + o.weight, 0);
    for (const o of this.mix) {
      roll -= o.weight;
      if (roll < 0) return o.run;
    }
    return () => this.deposit();
  }

  private record(kind: string, answer: Answer): Answer {
    this.tally.add(kind, answer.outcome);
    const position = answer.body?.position;
    if (typeof position === 'number') this.positionSeen = Math.max(this.positionSeen, position);
    return answer;
  }

  private async move(kind: string, account: DemoAccount, way: 'deposits' | 'withdrawals', amount: number) {
    const answer = this.record(kind, await this.bank.post(`/accounts/${account.id}/${way}`, { amount }));
    if (answer.outcome === 'ok') account.balance = answer.body.balance;
  }

  private deposit(): Promise<void> {
    return this.move('deposit', pick(this.open), 'deposits', between(1_000, 50_000));
  }

  /** Refused with AccountClosed. */
  private async depositToClosed(): Promise<void> {
    this.record('deposit', await this.bank.post(`/accounts/${pick(this.closed)}/deposits`, { amount: 500 }));
  }

  private withdrawal(overdraw: boolean): Promise<void> {
    const account = pick(this.open);
    const amount = overdraw
      ? account.balance + between(1, 50_000)
      : between(100, Math.max(100, Math.floor(account.balance / 3)));
    return this.move('withdrawal', account, 'withdrawals', amount);
  }

  /** `to-closed` ends compensated (the credit is refused, the debit refunded); `too-large` ends failed. */
  private async transfer(kind: TransferKind): Promise<void> {
    const from = pick(this.open);
    let to = pick(this.open);
    while (to === from) to = pick(this.open);
    const target = kind === 'to-closed' ? pick(this.closed) : to.id;
    const amount =
      kind === 'too-large'
        ? from.balance + between(100_000, 1_000_000)
        : between(100, Math.max(100, Math.floor(from.balance / 4)));
    const answer = this.record(
      'transfer',
      await this.bank.post('/transfers', { from: from.id, to: target, amount }),
    );
    if (answer.outcome === 'ok') this.transfers.push(answer.body.transferId);
  }

  /** A withdrawal of 1,000,000 minor units or more raises a large-withdrawal alert. */
  private async largeWithdrawal(): Promise<void> {
    const account = pick(this.open);
    await this.move('deposit', account, 'deposits', 1_500_000);
    if (this.take()) {
      await this.move('large-withdrawal', account, 'withdrawals', between(1_000_000, 1_400_000));
    }
  }

  /** Six withdrawals in a row from one account: 5 within 60 seconds raise a withdrawal-burst alert. */
  private async burst(): Promise<void> {
    const account = pick(this.open);
    await this.move('deposit', account, 'deposits', 60_000);
    for (let i = 0; i < 6 && this.take(); i++) {
      await this.move('burst-withdrawal', account, 'withdrawals', 2_000);
    }
  }
}
