import { randomUUID } from 'node:crypto';

/** An answer of the API: `outcome` is `ok`, the problem's `code`, or `http-<status>`/`network` when it has none. */
export interface Answer {
  status: number;
  outcome: string;
  // biome-ignore lint/suspicious/noExplicitAny: the demo reads a few known fields of the bank's JSON answers
  body: any;
}

/** Outcomes a bank client should expect; anything else is a fault of the server or of the demo. */
export const expectedRefusals: ReadonlySet<string> = new Set([
  'ok',
  'InsufficientFunds',
  'AccountClosed',
  'AccountNotEmpty',
  'AccountExists',
  'BalanceLimitExceeded',
]);

/**
 * A small HTTP client of the bank: bearer token on every call, an `Idempotency-Key` on every POST, and a few
 * tries with the same key when the connection fails or the server answers 503, so a retry never does twice.
 *
 * @example
 * const bank = new BankClient('http://127.0.0.1:3000', token);
 * const { outcome } = await bank.post('/accounts/ada/deposits', { amount: 500 });
 */
export class BankClient {
  constructor(
    readonly base: string,
    private readonly token: string,
    private readonly tries = 4,
  ) {}

  get(path: string): Promise<Answer> {
    return this.send('GET', path);
  }

  post(path: string, body?: unknown): Promise<Answer> {
    return this.send('POST', path, body, randomUUID());
  }

  private async send(method: string, path: string, body?: unknown, key?: string): Promise<Answer> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (key !== undefined) headers['idempotency-key'] = key;
    let answer: Answer = { status: 0, outcome: 'network', body: undefined };
    for (let attempt = 1; attempt <= this.tries; attempt++) {
      try {
        const res = await fetch(`${this.base}${path}`, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        const parsed = parse(text);
        const code = typeof parsed?.code === 'string' ? parsed.code : `http-${res.status}`;
        answer = { status: res.status, outcome: res.ok ? 'ok' : code, body: parsed };
        // NotCaughtUp already waited as long as it was asked to.
        if (res.status !== 503 || code === 'NotCaughtUp') return answer;
      } catch (error) {
        const cause = (error as Error).cause as NodeJS.ErrnoException | undefined;
        const why = cause ? ` (${cause.code ?? cause.message})` : '';
        answer = { status: 0, outcome: 'network', body: { detail: `${(error as Error).message}${why}` } };
      }
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
    return answer;
  }
}

function parse(text: string) {
  try {
    return JSON.parse(text);
  } catch {
    return { detail: text.slice(0, 200) };
  }
}
