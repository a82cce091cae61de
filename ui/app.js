// The Hindsight web UI: plain DOM, no build step. Every call to the API sends the token as a bearer header
// (the live feed too: it is read with fetch, not EventSource, so the token never goes into a URL).

const tokenKey = 'hindsight.token';
let token = localStorage.getItem(tokenKey) ?? '';

const $ = (id) => document.getElementById(id);

/** An element with attributes and children; text is always set as text, never parsed as HTML. */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Calls the API with the token; resolves to `{ status, ok, body }` (a problem document when not ok). */
async function api(path, init = {}) {
  const headers = { ...(init.headers ?? {}) };
  if (token) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { ...init, headers });
  } catch (error) {
    return { status: 0, ok: false, body: { title: 'Network error', detail: String(error), code: 'Network' } };
  }
  const type = res.headers.get('content-type') ?? '';
  const body = type.includes('json') ? await res.json().catch(() => null) : await res.text();
  return { status: res.status, ok: res.ok, body };
}

/** A problem answer in one line for people. */
function describe(res) {
  const body = res.body ?? {};
  if (res.status === 401) return 'The server does not know this token: paste a valid one above.';
  if (res.status === 403) return `Your token's role cannot do this: ${body.detail ?? 'forbidden'}.`;
  const code = body.code ? ` (${body.code})` : '';
  return `${res.status || 'No answer'}: ${body.detail ?? body.title ?? 'request failed'}${code}`;
}

/** True when the route itself is missing (404 NotFound), rather than the thing asked for. */
const routeMissing = (res) => res.status === 404 && res.body?.code === 'NotFound';

function setMessage(id, text, bad = false) {
  const node = $(id);
  node.textContent = text;
  node.className = bad ? 'message bad' : 'message';
}

const shortJson = (value) => {
  const text = JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 159)}…` : text;
};
const time = (iso) => (iso ? new Date(iso).toLocaleString() : '');

function money(amount, currency) {
  if (typeof amount !== 'number') return '';
  try {
    const format = new Intl.NumberFormat(undefined, { style: 'currency', currency });
    const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
    return format.format(amount / 10 ** digits);
  } catch {
    return `${amount} ${currency ?? ''}`.trim();
  }
}

// ---- token ----

async function checkToken() {
  const status = $('token-status');
  if (!token) {
    status.textContent = 'no token: paste one to see the log';
    status.className = 'bad';
    return;
  }
  const res = await api('/projections');
  status.textContent = res.ok ? 'token accepted' : describe(res);
  status.className = res.ok ? 'ok' : 'bad';
}

$('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  token = $('token').value.trim();
  $('token').value = '';
  if (token) localStorage.setItem(tokenKey, token);
  else localStorage.removeItem(tokenKey);
  void checkToken();
  liveFeed.restart();
  void show();
});
$('forget').addEventListener('click', () => {
  token = '';
  localStorage.removeItem(tokenKey);
  liveFeed.stop();
  void checkToken();
});

// ---- live feed ----

const liveFeed = (() => {
  const maxRows = 200;
  let controller;
  let lastId;
  let retry;

  const setStatus = (text, kind = '') => {
    $('live-status').textContent = text;
    $('live-status').className = `badge ${kind}`;
  };

  const render = (event) => {
    const rows = $('live-events');
    const row = el(
      'tr',
      { 'data-position': event.position },
      el('td', { class: 'number' }, event.position),
      el('td', {}, el('a', { href: `#streams/${encodeURIComponent(event.streamId)}` }, event.streamId)),
      el('td', { class: 'number' }, event.streamVersion),
      el('td', {}, event.type),
      el('td', {}, event.metadata?.actor ?? ''),
      el('td', {}, time(event.recordedAt)),
      el('td', { class: 'data' }, shortJson(event.data)),
    );
    rows.prepend(row);
    while (rows.children.length > maxRows) rows.lastElementChild.remove();
  };

  /** Reads `text/event-stream` frames off a fetch body: `id:`, `event:` and `data:` lines, blank line ends one. */
  async function read(body, signal) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    while (!signal.aborted) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let id;
        let kind = 'message';
        const data = [];
        for (const line of frame.split('\n')) {
          if (line.startsWith('id:')) id = line.slice(3).trim();
          else if (line.startsWith('event:')) kind = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        if (data.length > 0 && kind === 'message') {
          render(JSON.parse(data.join('\n')));
          if (id !== undefined) lastId = id;
        } else if (data.length > 0 && kind === 'error') {
          setStatus(`error: ${JSON.parse(data.join('\n')).detail ?? 'the feed failed'}`, 'failed');
        }
        end = buffer.indexOf('\n\n');
      }
    }
  }

  async function connect(signal) {
    const prefix = $('live-prefix').value.trim();
    const query = prefix ? `?streamPrefix=${encodeURIComponent(prefix)}` : '';
    const headers = { authorization: `Bearer ${token}`, accept: 'text/event-stream' };
    // Resume right after the last event shown, so a reconnect misses nothing and repeats nothing.
    if (lastId !== undefined) headers['last-event-id'] = lastId;
    setStatus('connecting…');
    try {
      const res = await fetch(`/events/live${query}`, { headers, signal });
      if (!res.ok) {
        const body = await res.json().catch(() => ({}));
        setStatus(describe({ status: res.status, body }), 'failed');
        if (res.status === 401 || res.status === 403) return;
      } else {
        setStatus('live', 'live');
        await read(res.body, signal);
      }
    } catch (error) {
      if (signal.aborted) return;
      setStatus(`disconnected: ${error.message ?? error}`, 'failed');
    }
    if (signal.aborted) return;
    setStatus('reconnecting…');
    retry = setTimeout(() => void connect(signal), 2000);
  }

  return {
    stop() {
      controller?.abort();
      clearTimeout(retry);
      controller = undefined;
      setStatus('not connected');
    },
    /** Starts again from what is appended from now on (a new token or filter). */
    restart() {
      this.stop();
      lastId = undefined;
      $('live-events').replaceChildren();
      if (!token) return;
      controller = new AbortController();
      void connect(controller.signal);
    },
  };
})();

$('live-filter').addEventListener('submit', (event) => {
  event.preventDefault();
  liveFeed.restart();
});

// ---- projections ----

let projectionsTimer;

async function loadProjections() {
  const res = await api('/projections');
  if (!res.ok) {
    setMessage('projections-message', describe(res), true);
    return;
  }
  setMessage('projections-message', res.body.length === 0 ? 'This server runs no projections.' : '');
  $('projections-rows').replaceChildren(
    ...res.body.map((p) =>
      el(
        'tr',
        { 'data-projection': p.name },
        el('td', {}, p.name),
        el('td', { class: 'number' }, p.version ?? ''),
        el(
          'td',
          {
            title: p.failure
              ? `${p.failure.error} (event ${p.failure.position}, ${p.failure.attempts} attempts)`
              : '',
          },
          el('span', { class: `badge ${p.status}` }, p.status),
          p.failure ? el('div', { class: 'bad' }, p.failure.error) : null,
        ),
        el('td', { class: 'number' }, p.position),
        el('td', { class: 'number' }, p.lag),
        el('td', { class: 'number' }, p.lagMs),
        el('td', { class: 'number' }, p.headPosition),
        el('td', {}, p.rebuild ? `${Math.floor(p.rebuild.progress * 100)}% (v${p.rebuild.version})` : ''),
        el(
          'td',
          {},
          el('button', { type: 'button', title: 'admin only', onclick: () => rebuild(p.name) }, 'Rebuild'),
        ),
      ),
    ),
  );
}

async function rebuild(name) {
  const res = await api(`/projections/${encodeURIComponent(name)}/rebuild`, { method: 'POST' });
  if (res.ok) setMessage('rebuild-message', `Rebuilding ${name}: progress shows below.`);
  else if (res.status === 403)
    setMessage('rebuild-message', 'Rebuilding a projection needs an admin token.', true);
  else setMessage('rebuild-message', describe(res), true);
  await loadProjections();
}

// ---- streams ----

let streamNext;
let streamId;

async function loadStream(id, from) {
  const query = new URLSearchParams({ limit: '100' });
  if (from !== undefined) query.set('from', String(from));
  const res = await api(`/streams/${encodeURIComponent(id)}?${query}`);
  if (from === undefined) $('stream-events').replaceChildren();
  if (!res.ok) {
    setMessage(
      'stream-message',
      res.body?.code === 'StreamNotFound' ? `No stream ${id}.` : describe(res),
      true,
    );
    $('stream-more').hidden = true;
    return;
  }
  setMessage('stream-message', `${id}: version ${res.body.events.at(-1)?.streamVersion ?? 0} shown so far`);
  $('stream-events').append(
    ...res.body.events.map((e) =>
      el(
        'tr',
        {},
        el('td', { class: 'number' }, e.streamVersion),
        el('td', { class: 'number' }, e.position),
        el('td', {}, e.type),
        el('td', {}, e.metadata?.actor ?? ''),
        el('td', {}, time(e.recordedAt)),
        el('td', { class: 'data' }, shortJson(e.data)),
      ),
    ),
  );
  streamNext = res.body.next ?? undefined;
  $('stream-more').hidden = streamNext === undefined;
}

$('stream-form').addEventListener('submit', (event) => {
  event.preventDefault();
  location.hash = `#streams/${encodeURIComponent($('stream-id').value.trim())}`;
});
$('stream-more').addEventListener('click', () => void loadStream(streamId, streamNext));

// ---- accounts ----

const noAccounts =
  'This server has no accounts API (GET /accounts answered 404): it is not running the bank service.';
let accountsCursor;
let historyCursor;
let accountId;

/** The page's items and next cursor, whatever the exact names of the paged answer. */
function page(body) {
  const items = Array.isArray(body) ? body : (body?.items ?? body?.accounts ?? []);
  const next = Array.isArray(body)
    ? undefined
    : (body?.next ?? body?.nextCursor ?? body?.cursor ?? undefined);
  return { items, next: next === null ? undefined : next };
}

async function loadAccounts(cursor) {
  const query = new URLSearchParams({ limit: '50' });
  if (cursor !== undefined) query.set('cursor', String(cursor));
  const res = await api(`/accounts?${query}`);
  if (cursor === undefined) $('accounts-rows').replaceChildren();
  if (!res.ok) {
    setMessage('accounts-message', routeMissing(res) ? noAccounts : describe(res), true);
    $('accounts-more').hidden = true;
    return;
  }
  const { items, next } = page(res.body);
  setMessage('accounts-message', items.length === 0 && cursor === undefined ? 'No accounts yet.' : '');
  $('accounts-rows').append(
    ...items.map((a) =>
      el(
        'tr',
        {},
        el('td', {}, el('a', { href: `#accounts/${encodeURIComponent(a.accountId)}` }, a.accountId)),
        el('td', {}, a.owner ?? ''),
        el('td', {}, a.currency ?? ''),
        el('td', { class: 'number' }, money(a.balance, a.currency)),
        el('td', {}, a.status ?? ''),
      ),
    ),
  );
  accountsCursor = next;
  $('accounts-more').hidden = next === undefined;
}

async function loadAccount(id) {
  accountId = id;
  $('account-title').textContent = id;
  $('account-facts').replaceChildren();
  $('history-rows').replaceChildren();
  const res = await api(`/accounts/${encodeURIComponent(id)}`);
  if (!res.ok) {
    const text = routeMissing(res)
      ? noAccounts.replace('GET /accounts', 'GET /accounts/{id}')
      : res.body?.code === 'AccountNotFound'
        ? `No account ${id}.`
        : describe(res);
    setMessage('accounts-message', text, true);
    return;
  }
  setMessage('accounts-message', '');
  const a = res.body;
  $('account-facts').append(
    ...[
      ['owner', a.owner],
      ['currency', a.currency],
      ['balance', `${money(a.balance, a.currency)} (${a.balance} minor units)`],
      ['status', a.status],
      ['version', a.version],
    ].flatMap(([name, value]) => [el('dt', {}, name), el('dd', {}, value ?? '')]),
  );
  await loadHistory(id);
}

async function loadHistory(id, cursor) {
  const query = new URLSearchParams({ limit: '100' });
  if (cursor !== undefined) query.set('cursor', String(cursor));
  const res = await api(`/accounts/${encodeURIComponent(id)}/history?${query}`);
  if (!res.ok) {
    const text = routeMissing(res)
      ? 'This server has no account history (GET /accounts/{id}/history answered 404).'
      : describe(res);
    setMessage('accounts-message', text, true);
    $('history-more').hidden = true;
    return;
  }
  const { items, next } = page(res.body);
  $('history-rows').append(
    ...items.map((h) =>
      el(
        'tr',
        {},
        el('td', { class: 'number' }, h.position),
        el('td', { class: 'number' }, h.version),
        el('td', {}, h.type),
        el('td', { class: 'number' }, h.amount ?? ''),
        el('td', { class: 'number' }, h.balanceAfter ?? ''),
        el('td', {}, h.actor ?? ''),
        el('td', {}, time(h.at)),
      ),
    ),
  );
  historyCursor = next;
  $('history-more').hidden = next === undefined;
}

$('accounts-more').addEventListener('click', () => void loadAccounts(accountsCursor));
$('history-more').addEventListener('click', () => void loadHistory(accountId, historyCursor));

// ---- transfers ----

const noTransfers =
  'This server has no transfers API (GET /transfers/{id} answered 404): it is not running the bank service.';
/** The newest transfers started, newest first: what their SagaStarted events said, and their status. */
const recentTransfers = [];
const maxTransfers = 50;
/** The log position to read the next SagaStarted events from: each refresh reads only what is new. */
let transfersFrom = 1;
let transfersTimer;
let transfersLoading = false;
let transferTimer;
/** One key per transfer the form sends: a resend after a lost answer starts nothing twice. */
let transferKey;
let startedTransfer;

const newKey = () =>
  globalThis.crypto?.randomUUID?.() ?? `ui-${Date.now()}-${Math.random().toString(36).slice(2)}`;
const units = (n) => (typeof n === 'number' ? n.toLocaleString('en') : '');
const badge = (status) => el('span', { class: `badge ${status}` }, status);
const accountLink = (id) =>
  id ? el('a', { href: `#accounts/${encodeURIComponent(id)}` }, id) : document.createTextNode('');

/** Reads the transfer sagas' SagaStarted events appended since the last read, and keeps the newest. */
async function readTransferStarts() {
  for (;;) {
    const query = new URLSearchParams({
      streamPrefix: 'saga:transfer:',
      type: 'SagaStarted',
      limit: '1000',
      from: String(transfersFrom),
    });
    const res = await api(`/events?${query}`);
    if (!res.ok) return res;
    for (const e of res.body.events) {
      const input = e.data?.input ?? {};
      recentTransfers.unshift({
        transferId: input.transferId ?? e.data?.sagaId,
        from: input.from,
        to: input.to,
        amount: input.amount,
        actor: e.metadata?.actor,
        at: e.recordedAt,
        status: undefined,
      });
      transfersFrom = e.position + 1;
    }
    recentTransfers.splice(maxTransfers);
    if (res.body.next === null || res.body.next === undefined) return res;
    transfersFrom = res.body.next;
  }
}

async function loadTransfers() {
  if (transfersLoading) return;
  transfersLoading = true;
  try {
    const res = await readTransferStarts();
    if (!res.ok) {
      setMessage('transfers-message', describe(res), true);
      return;
    }
    // Only transfers still running can change: ask about those, a few at a time.
    const unsettled = recentTransfers.filter((t) => t.status === undefined || t.status === 'pending');
    let missing = false;
    for (let i = 0; i < unsettled.length; i += 6) {
      await Promise.all(
        unsettled.slice(i, i + 6).map(async (t) => {
          const answer = await api(`/transfers/${encodeURIComponent(t.transferId)}`);
          if (answer.ok) t.status = answer.body.status;
          else if (routeMissing(answer)) missing = true;
        }),
      );
    }
    if (missing) setMessage('transfers-message', noTransfers, true);
    else if (recentTransfers.length === 0)
      setMessage('transfers-message', 'No transfers yet: start one above.');
    else if ($('transfers-message').className.includes('bad')) setMessage('transfers-message', '');
    $('transfers-rows').replaceChildren(
      ...recentTransfers.map((t) =>
        el(
          'tr',
          { 'data-transfer': t.transferId },
          el('td', {}, el('a', { href: `#transfers/${encodeURIComponent(t.transferId)}` }, t.transferId)),
          el('td', {}, accountLink(t.from)),
          el('td', {}, accountLink(t.to)),
          el('td', { class: 'number' }, units(t.amount)),
          el('td', {}, t.status ? badge(t.status) : '…'),
          el('td', {}, t.actor ?? ''),
          el('td', {}, time(t.at)),
        ),
      ),
    );
  } finally {
    transfersLoading = false;
  }
}

async function loadTransfer(id) {
  clearTimeout(transferTimer);
  const shown = location.hash;
  $('transfer-title').textContent = id;
  $('transfer-stream').href = `#streams/${encodeURIComponent(`saga:transfer:${id}`)}`;
  const res = await api(`/transfers/${encodeURIComponent(id)}`);
  if (location.hash !== shown) return;
  if (!res.ok) {
    $('transfer-facts').replaceChildren();
    $('transfer-steps').replaceChildren();
    const text = routeMissing(res)
      ? noTransfers
      : res.body?.code === 'TransferNotFound'
        ? `No transfer ${id}.`
        : describe(res);
    setMessage('transfers-message', text, true);
    return;
  }
  const t = res.body;
  setMessage(
    'transfers-message',
    startedTransfer === id
      ? `Started transfer ${id}: it runs in the background, and this page follows it.`
      : '',
  );
  $('transfer-facts').replaceChildren(
    ...[
      ['status', badge(t.status)],
      ['from', accountLink(t.from)],
      ['to', accountLink(t.to)],
      ['amount', `${units(t.amount)} minor units`],
      ['reason', t.reason],
    ]
      .filter(([, value]) => value !== undefined)
      .flatMap(([name, value]) => [el('dt', {}, name), el('dd', {}, value)]),
  );
  $('transfer-steps').replaceChildren(
    ...t.steps.map((s) =>
      el(
        'tr',
        { 'data-step': s.name },
        el('td', {}, s.name),
        el('td', {}, badge(s.status)),
        el('td', { class: 'number' }, s.attempts),
        el('td', {}, s.error ?? ''),
      ),
    ),
  );
  // Follow it until it ends.
  if (t.status === 'pending') transferTimer = setTimeout(() => void loadTransfer(id), 1000);
}

$('transfer-form').addEventListener('input', () => {
  transferKey = undefined;
});
$('transfer-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  transferKey ??= newKey();
  const amountText = $('transfer-amount').value.trim();
  const body = {
    from: $('transfer-from').value.trim(),
    to: $('transfer-to').value.trim(),
    amount: /^[0-9]+$/.test(amountText) ? Number(amountText) : amountText,
  };
  const res = await api('/transfers', {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'idempotency-key': transferKey },
  });
  if (!res.ok) {
    const text =
      res.status === 403
        ? 'Starting a transfer needs a writer or admin token.'
        : routeMissing(res)
          ? noTransfers.replace('GET /transfers/{id}', 'POST /transfers')
          : describe(res);
    setMessage('transfers-message', text, true);
    return;
  }
  transferKey = undefined;
  startedTransfer = res.body.transferId;
  location.hash = `#transfers/${encodeURIComponent(res.body.transferId)}`;
});

// ---- daily report ----

const isoDay = (date) => date.toISOString().slice(0, 10);

/** The last 7 UTC days, unless a range was chosen. */
function defaultReportRange() {
  if ($('report-from').value && $('report-to').value) return;
  const today = new Date();
  $('report-to').value = isoDay(today);
  $('report-from').value = isoDay(new Date(today.getTime() - 6 * 86_400_000));
}

async function loadReport() {
  const query = new URLSearchParams({ from: $('report-from').value, to: $('report-to').value });
  const res = await api(`/reports/daily?${query}`);
  $('report-rows').replaceChildren();
  $('report-total').replaceChildren();
  if (!res.ok) {
    const text = routeMissing(res)
      ? 'This server has no daily report (GET /reports/daily answered 404): it is not running the bank service.'
      : describe(res);
    setMessage('report-message', text, true);
    return;
  }
  setMessage('report-message', '');
  const columns = [
    'depositCount',
    'depositTotal',
    'withdrawalCount',
    'withdrawalTotal',
    'transferCount',
    'transferTotal',
  ];
  const total = Object.fromEntries(columns.map((c) => [c, 0]));
  const row = (label, day, attributes = {}) =>
    el(
      'tr',
      attributes,
      el(label === 'total' ? 'th' : 'td', {}, label),
      ...columns.map((c) => el('td', { class: 'number' }, units(day[c]))),
    );
  $('report-rows').append(
    ...res.body.days.map((day) => {
      for (const c of columns) total[c] += day[c];
      return row(day.day, day, {
        'data-day': day.day,
        class: day.depositCount + day.withdrawalCount + day.transferCount === 0 ? 'quiet' : undefined,
      });
    }),
  );
  $('report-total').append(row('total', total));
}

$('report-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void loadReport();
});

// ---- alerts ----

const maxAlertPages = 10;

async function loadAlerts() {
  const accountFilter = $('alerts-account').value.trim();
  const items = [];
  let cursor;
  // The API lists alerts in the order they were raised; read them all (a few pages) to show the newest first.
  for (let pages = 0; pages < maxAlertPages; pages++) {
    const query = new URLSearchParams({ limit: '1000' });
    if (accountFilter) query.set('accountId', accountFilter);
    if (cursor !== undefined) query.set('cursor', cursor);
    const res = await api(`/alerts?${query}`);
    if (!res.ok) {
      $('alerts-rows').replaceChildren();
      const text = routeMissing(res)
        ? 'This server has no alerts (GET /alerts answered 404): it is not running the bank service.'
        : describe(res);
      setMessage('alerts-message', text, true);
      return;
    }
    items.push(...res.body.items);
    cursor = res.body.next ?? undefined;
    if (cursor === undefined) break;
  }
  const cut = cursor === undefined ? '' : ` (the first ${units(items.length)} raised; there are more)`;
  setMessage(
    'alerts-message',
    items.length === 0
      ? `No alerts${accountFilter ? ` on ${accountFilter}` : ''}.`
      : `${units(items.length)} alerts${cut}`,
  );
  $('alerts-rows').replaceChildren(
    ...items
      .reverse()
      .map((a) =>
        el(
          'tr',
          { 'data-alert': a.alertId },
          el('td', {}, time(a.at)),
          el('td', {}, badge(a.rule)),
          el('td', {}, accountLink(a.accountId)),
          el('td', {}, a.detail),
          el('td', { class: 'number', title: a.eventIds.join('\n') }, a.eventIds.length),
        ),
      ),
  );
}

$('alerts-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void loadAlerts();
});

// ---- pages ----

async function show() {
  const [page, ...rest] = (location.hash.slice(1) || 'live').split('/');
  const argument = rest.length > 0 ? decodeURIComponent(rest.join('/')) : undefined;
  for (const section of document.querySelectorAll('main > section')) section.hidden = section.id !== page;
  for (const link of document.querySelectorAll('nav a')) {
    link.classList.toggle('current', link.getAttribute('href') === `#${page}`);
  }
  clearInterval(projectionsTimer);
  clearInterval(transfersTimer);
  clearTimeout(transferTimer);
  if (!token) return;
  // A timer is set only if the page is still shown once its first load is done (another may have opened since).
  const shown = location.hash;
  if (page === 'projections') {
    await loadProjections();
    if (location.hash === shown) projectionsTimer = setInterval(() => void loadProjections(), 2000);
  } else if (page === 'streams' && argument) {
    streamId = argument;
    $('stream-id').value = argument;
    await loadStream(argument);
  } else if (page === 'accounts') {
    $('account-list').hidden = argument !== undefined;
    $('account-detail').hidden = argument === undefined;
    if (argument === undefined) await loadAccounts();
    else await loadAccount(argument);
  } else if (page === 'transfers') {
    $('transfer-list').hidden = argument !== undefined;
    $('transfer-detail').hidden = argument === undefined;
    if (argument !== undefined) await loadTransfer(argument);
    else {
      setMessage('transfers-message', '');
      await loadTransfers();
      if (location.hash === shown) transfersTimer = setInterval(() => void loadTransfers(), 2000);
    }
  } else if (page === 'reports') {
    defaultReportRange();
    await loadReport();
  } else if (page === 'alerts') {
    await loadAlerts();
  }
}

window.addEventListener('hashchange', () => void show());
void checkToken();
liveFeed.restart();
void show();
