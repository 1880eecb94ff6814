// Benchmark 5: the trace panel at 10,000 exchanges. (1) In headless Chromium, the real panel page (the HTML
// of traceHtml() with its CSP and nonce, media/trace-view.js, media/trace.js, media/trace.css; the host's
// messages posted with window.postMessage): a snapshot of 100, 1,000 and 10,000 exchanges until the first
// painted frame, a filter keystroke until the filtered rows and the count are painted, a scroll to the bottom,
// a live stream of 10,000 exchanges in TraceBatcher updates, and how many rows the (virtual) list keeps in
// the DOM. (2) In this process, the extension host's side: a core Trace filled to its cap (10,000) by the real
// pipeline against the sandbox in a child process, its heap, that it stays flat while 10,000 more are pushed,
// and that the running operation is never the one dropped.
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { CallContext } from '../src/core/scim/client';
import { ScimClient } from '../src/core/scim/client';
import { Trace, type Exchange, type Operation } from '../src/core/trace';
import { snapshot, TraceBatcher, type ExRow, type HostMessage } from '../src/extension/trace-protocol';
import { launchChromium, openPanelPage, type PanelPage } from '../test/helpers/panel-page';
import { gc, goal, header, kb, mb, median, ms, printGoals, ratio, REPEAT, startChildSandbox, table, type ChildSandbox } from './lib';

const SIZES = [100, 1_000, 10_000];
const BIG = SIZES[SIZES.length - 1]!;
/** Filter queries typed into the panel: a method, a status, a path fragment. */
const QUERIES = ['PATCH', '401', 'Groups/6e'];
/** media/trace.js waits this long after a keystroke before it filters (its debounce). */
const DEBOUNCE_MS = 80;
/** Exchanges per live update: what TraceBatcher sends every 50 ms at 1,000 exchanges/s. */
const STREAM_BATCH = 50;

// ------------------------------------------------------------------------------------------ a realistic trace

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Step { method: string; path: string; status: number; attempt?: number; diagnosis?: string }
type Pick = <T>(xs: readonly T[]) => T;

const HOST = 'https://contoso-apim.azure-api.net';
const BASE = '/scim/v2';
const hex = (r: () => number, n: number): string => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');
const uuid = (r: () => number, lead: string): string => `${lead}${hex(r, 6)}-${hex(r, 4)}-4${hex(r, 3)}-9${hex(r, 3)}-${hex(r, 12)}`;
const between = (r: () => number, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

/** One operation's title and its exchanges (5 to 20), of one of the kinds a session produces. */
function operationSteps(r: () => number, pick: Pick): { title: string; steps: Step[] } {
  const n = between(r, 5, 20);
  const gid = uuid(r, '6e');
  const kind = pick(['list', 'members', 'open', 'probe', 'bulk'] as const);
  const steps: Step[] = [];
  if (kind === 'list') {
    for (let i = 0; i < n; i++) steps.push({ method: 'GET', path: `${BASE}/Users?startIndex=${1 + i * 100}&count=100`, status: 200 });
    return { title: 'List Users', steps };
  }
  if (kind === 'members' || kind === 'bulk') {
    steps.push({ method: 'GET', path: `${BASE}/Groups/${gid}?attributes=id,displayName`, status: 200 });
    for (let i = 1; i < n; i++) {
      const status = pick([204, 204, 204, 200, 429, 401, 500]);
      const diagnosis = status === 401 ? 'gateway rejected PATCH: subscription key missing' : status === 429 ? 'rate limited (Retry-After 1 s)' : undefined;
      steps.push({ method: 'PATCH', path: `${BASE}/Groups/${gid}`, status, diagnosis });
      if (status === 429) steps.push({ method: 'PATCH', path: `${BASE}/Groups/${gid}`, status: 204, attempt: 2 });
    }
    return { title: `Members of ${gid}: add ${n * (kind === 'bulk' ? 20 : 1)}`, steps };
  }
  if (kind === 'open') {
    steps.push({ method: 'GET', path: `${BASE}/Users?filter=userName%20sw%20%22${hex(r, 2)}%22&count=25`, status: 200 });
    for (let i = 1; i < n; i++) steps.push({ method: 'GET', path: `${BASE}/Users/${uuid(r, '5c')}`, status: pick([200, 200, 200, 404]) });
    return { title: 'Open users', steps };
  }
  for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
    const status = method === 'GET' ? 200 : pick([201, 200, 401, 405]);
    steps.push({ method, path: `${BASE}/Groups/${gid}?subscription-key=\u2022\u2022\u2022\u2022abcd`, status, diagnosis: status === 401 ? `gateway rejected ${method}: key not sent` : undefined });
  }
  return { title: 'Probe gateway', steps };
}

function exchangeInit(s: Step, r: () => number, live: boolean): Omit<Exchange, 'id' | 'operationId' | 'seq'> {
  const url = `${HOST}${s.path}`;
  return {
    state: 'pending', attempt: s.attempt ?? 1, keySentAs: 'header', warnings: [], timings: { start: Date.now(), end: live ? undefined : between(r, 8, 400) },
    request: { method: s.method, url, line: `${s.method} ${s.path} HTTP/1.1`, wire: true, headers: [['Ocp-Apim-Subscription-Key', '\u2022\u2022\u2022\u2022abcd']], bodySize: 0 },
  };
}

function finish(ex: Exchange, s: Step, r: () => number): void {
  ex.state = s.status >= 500 && s.attempt === undefined && r() < 0.3 ? 'failed' : 'done';
  ex.timings.end ??= between(r, 8, 400);
  ex.response = { status: s.status, statusText: '', headers: [], bodySize: 0, truncated: false, answeredBy: s.status === 401 ? 'gateway' : 'backend' };
  if (s.diagnosis) ex.diagnosis = { severity: 'error', source: s.status === 401 ? 'gateway' : 'scim', code: `http.${s.status}`, summary: s.diagnosis };
  if (ex.state === 'failed') ex.error = { code: 'network', message: 'socket hang up' };
}

/**
 * Fills `trace` with `n` exchanges in operations of 5 to 20 (mixed methods, statuses and paths). `live`: each
 * exchange is added pending, then finished (two trace events, as the pipeline makes), and `onExchange` runs after.
 */
function fillSynthetic(trace: Trace, n: number, live = false, onExchange?: () => void): void {
  const r = rng(7);
  const pick: Pick = (xs) => xs[Math.floor(r() * xs.length)]!;
  let added = 0;
  while (added < n) {
    const { title, steps } = operationSteps(r, pick);
    const op = trace.startOperation(title, pick(['contoso-prod', 'sap-ias', 'sandbox']));
    for (const s of steps.slice(0, n - added)) {
      const ex = trace.addExchange(op, exchangeInit(s, r, live));
      finish(ex, s, r);
      trace.touchExchange(ex);
      added++;
      onExchange?.();
    }
    const failed = op.exchanges.some((e) => e.state === 'failed' || (e.response?.status ?? 0) >= 400);
    trace.endOperation(op, failed ? 'failed' : 'ok', { summary: `${op.exchanges.length} requests` });
  }
}

function syntheticSnapshot(n: number): HostMessage & { type: 'snapshot' } {
  const trace = new Trace({ maxExchanges: n });
  fillSynthetic(trace, n);
  return snapshot(trace.operations()) as HostMessage & { type: 'snapshot' };
}

/** The update messages a TraceBatcher posts while `n` exchanges arrive, one batch every STREAM_BATCH. */
function streamUpdates(n: number): HostMessage[] {
  const updates: HostMessage[] = [];
  const trace = new Trace({ maxExchanges: n });
  const batcher = new TraceBatcher((m) => updates.push(m), 50, () => undefined as unknown as ReturnType<typeof setTimeout>);
  trace.onEvent((e) => batcher.handle(e));
  let k = 0;
  fillSynthetic(trace, n, true, () => { if (++k % STREAM_BATCH === 0) batcher.flush(); });
  batcher.flush();
  return updates;
}

// ------------------------------------------------------------------------------------------ in the page

interface Paint { ms: number; handler: number; frame: number }
/** `wait`: until the panel's debounce fired; `work`: from there until the count showed the result. */
interface FilterPaint { ms: number; wait: number; work: number; rows: number }
interface ScrollPaint { ms: number; rows: number; last: number }
interface Bench {
  put(key: string, value: unknown): void;
  post(key: string): Promise<Paint>;
  stream(key: string): Promise<{ total: number; updates: Paint[] }>;
  filter(q: string, expect: string): Promise<FilterPaint>;
  scrollTo(top: 'bottom' | 0): Promise<ScrollPaint>;
  rows(): number;
  count(): string;
}

// A string, not functions: tsx would wrap inner helpers in __name(), which the page does not have. Every
// time ends at the first painted frame after the change (double requestAnimationFrame). Listeners added
// here run after the panel's own (registered first), so "handled" is after the panel's handler.
const BENCH_SCRIPT = `
window.__bench = (function () {
  var msgs = {}, timerAt = 0;
  // when the last timer callback started (the filter's debounce ends there)
  var setTimer = window.setTimeout;
  window.setTimeout = function (fn, delay) {
    if (typeof fn !== 'function') return setTimer(fn, delay);
    return setTimer(function () { timerAt = performance.now(); return fn.apply(this, arguments); }, delay);
  };
  function $(id) { return document.getElementById(id); }
  function painted() {
    return new Promise(function (resolve) { requestAnimationFrame(function () { requestAnimationFrame(function () { resolve(performance.now()); }); }); });
  }
  function frameWork() {
    return new Promise(function (resolve) { requestAnimationFrame(function (ts) { resolve(Math.max(0, performance.now() - ts)); }); });
  }
  function once(target, type) {
    return new Promise(function (resolve) {
      target.addEventListener(type, function h() { target.removeEventListener(type, h); resolve(performance.now()); });
    });
  }
  function rows() { return document.querySelectorAll('#spacer .row').length; }
  function last() {
    var max = -1;
    document.querySelectorAll('#spacer .row').forEach(function (el) { max = Math.max(max, Number(el.getAttribute('data-index'))); });
    return max;
  }
  function post(key) {
    var t0 = performance.now();
    var handled = once(window, 'message');
    window.postMessage(msgs[key], '*');
    return handled.then(function (t1) {
      return Promise.all([frameWork(), painted()]).then(function (r) { return { ms: r[1] - t0, handler: t1 - t0, frame: r[0] }; });
    });
  }
  function stream(key) {
    var list = msgs[key], out = [], i = 0, t0 = performance.now();
    function next() {
      if (i >= list.length) return Promise.resolve({ total: performance.now() - t0, updates: out });
      msgs.__one = list[i++];
      return post('__one').then(function (r) { out.push(r); return next(); });
    }
    return next();
  }
  function filter(q, expect) {
    var count = $('count'), input = $('filter'), t0 = 0;
    return new Promise(function (resolve, reject) {
      var timer = setTimeout(function () { obs.disconnect(); reject(new Error('filter "' + q + '": count never became "' + expect + '" (is "' + count.textContent + '")')); }, 20000);
      var obs = new MutationObserver(function () {
        if (count.textContent !== expect) return;
        obs.disconnect(); clearTimeout(timer);
        var shown = performance.now(), fired = timerAt;
        painted().then(function (t2) { resolve({ ms: t2 - t0, wait: fired - t0, work: shown - fired, rows: rows() }); });
      });
      obs.observe(count, { childList: true, characterData: true, subtree: true });
      t0 = performance.now();
      input.value = q;
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
  }
  function scrollTo(top) {
    var list = $('list'), t0 = performance.now();
    var scrolled = once(list, 'scroll');
    list.scrollTop = top === 'bottom' ? list.scrollHeight : top;
    return scrolled.then(painted).then(function (t2) { return { ms: t2 - t0, rows: rows(), last: last() }; });
  }
  return {
    put: function (key, value) { msgs[key] = value; }, post: post, stream: stream, filter: filter, scrollTo: scrollTo,
    rows: rows, count: function () { return $('count').textContent; },
  };
})();
`;

/** Calls one of the page's bench functions (page.evaluate: not subject to the page's CSP). */
function call<K extends keyof Bench>(page: Page, m: K, ...args: Parameters<Bench[K]>): Promise<Awaited<ReturnType<Bench[K]>>> {
  return page.evaluate((a) => {
    const b = (window as unknown as { __bench: Record<string, (...x: unknown[]) => unknown> }).__bench;
    return b[a.m]!(...a.args);
  }, { m, args }) as Promise<Awaited<ReturnType<Bench[K]>>>;
}

// ------------------------------------------------------------------------------------------ the panel figures

interface TraceView { matches(ex: ExRow, opTitle: string, query: string): boolean }
// The panel's own filter, to know what the count must say once a query is applied.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const view = require(join(__dirname, '..', 'media', 'trace-view.js')) as TraceView;

function countText(msg: HostMessage & { type: 'snapshot' }, query?: string): string {
  const base = `${msg.ops.length} operations \u00B7 ${msg.exchanges.length} exchanges`;
  if (!query) return base;
  const titles = new Map(msg.ops.map((o) => [o.id, o.title]));
  const shown = msg.exchanges.filter((ex) => view.matches(ex, titles.get(ex.op) ?? '', query)).length;
  return `${base} \u00B7 ${shown} shown`;
}

interface SizeSamples { render: number[]; renderScript: number[]; filter: Record<string, number[]>; filterWork: Record<string, number[]>; filterWait: number[]; scroll: number[]; rows: number[]; rowsBottom: number[]; lastOk: boolean }

/** One round at one size: snapshot, each filter (then cleared), scroll to the bottom (then back). */
async function roundAt(page: Page, msg: HostMessage & { type: 'snapshot' }, s: SizeSamples | undefined): Promise<void> {
  await page.bringToFront();
  const render = await call(page, 'post', 'snapshot');
  const all = countText(msg);
  const shownCount = await call(page, 'count');
  if (shownCount !== all) throw new Error(`after the snapshot the count says "${shownCount}", expected "${all}"`);
  const rows = await call(page, 'rows');
  const filters: Record<string, FilterPaint> = {};
  for (const q of QUERIES) {
    filters[q] = await call(page, 'filter', q, countText(msg, q));
    await call(page, 'filter', '', all);
  }
  const bottom = await call(page, 'scrollTo', 'bottom');
  await call(page, 'scrollTo', 0);
  if (!s) return;
  s.render.push(render.ms);
  s.renderScript.push(render.handler);
  for (const q of QUERIES) {
    (s.filter[q] ??= []).push(filters[q]!.ms);
    (s.filterWork[q] ??= []).push(filters[q]!.work);
    s.filterWait.push(filters[q]!.wait);
  }
  s.scroll.push(bottom.ms);
  s.rows.push(rows);
  s.rowsBottom.push(bottom.rows);
  s.lastOk &&= bottom.last === msg.exchanges.length + msg.ops.length - 1;
}

interface StreamResult { total: number[]; perUpdate: number[]; work: number[]; early: number[]; late: number[]; updates: number; finalCount: string }

async function streamRun(browser: Browser, updates: HostMessage[], out: StreamResult): Promise<void> {
  const { page, errors } = await openPanelPage(browser, { initScript: BENCH_SCRIPT });
  await call(page, 'put', 'empty', { type: 'snapshot', ops: [], exchanges: [] });
  await call(page, 'put', 'stream', updates);
  await call(page, 'post', 'empty');
  const r = await call(page, 'stream', 'stream');
  const work = r.updates.map((u) => u.handler + u.frame);
  const tenth = Math.max(1, Math.floor(work.length / 10));
  out.total.push(r.total);
  out.perUpdate.push(median(r.updates.map((u) => u.ms)));
  out.work.push(median(work));
  out.early.push(median(work.slice(0, tenth)));
  out.late.push(median(work.slice(-tenth)));
  out.updates = r.updates.length;
  out.finalCount = await call(page, 'count');
  await page.context().close();
  if (errors.length) throw new Error(`the panel threw: ${errors.join('; ')}`);
}

async function panelFigures(): Promise<void> {
  console.log(`Panel in headless Chromium (viewport 1280×720), filter queries ${QUERIES.map((q) => `"${q}"`).join(', ')}; times end at the first painted frame`);
  const browser = await launchChromium();
  try {
    const msgs = new Map(SIZES.map((n) => [n, syntheticSnapshot(n)]));
    const pages = new Map<number, PanelPage>();
    for (const [n, msg] of msgs) {
      const panel = await openPanelPage(browser, { initScript: BENCH_SCRIPT });
      await call(panel.page, 'put', 'snapshot', msg);
      pages.set(n, panel);
    }
    const samples = new Map(SIZES.map((n): [number, SizeSamples] => [n, { render: [], renderScript: [], filter: {}, filterWork: {}, filterWait: [], scroll: [], rows: [], rowsBottom: [], lastOk: true }]));
    for (let round = 0; round <= REPEAT; round++) { // round 0 warms up, not counted
      const order = SIZES.slice(round % SIZES.length).concat(SIZES.slice(0, round % SIZES.length));
      for (const n of order) await roundAt(pages.get(n)!.page, msgs.get(n)!, round ? samples.get(n) : undefined);
    }
    for (const p of pages.values()) await p.page.context().close();
    const errors = [...pages.values()].flatMap((p) => p.errors);
    if (errors.length) throw new Error(`the panel threw: ${errors.join('; ')}`);
    reportPanel(samples, msgs);

    const updates = streamUpdates(BIG);
    const stream: StreamResult = { total: [], perUpdate: [], work: [], early: [], late: [], updates: 0, finalCount: '' };
    for (let i = 0; i < REPEAT; i++) await streamRun(browser, updates, stream);
    reportStream(stream);
  } finally {
    await browser.close();
  }
}

function reportPanel(samples: Map<number, SizeSamples>, msgs: Map<number, HostMessage & { type: 'snapshot' }>): void {
  const med = (n: number, f: (s: SizeSamples) => number[]): number => median(f(samples.get(n)!));
  table(SIZES.map((n) => {
    const s = samples.get(n)!;
    const row: Record<string, string | number> = {
      exchanges: n.toLocaleString('en'), operations: msgs.get(n)!.ops.length,
      'snapshot → painted (script)': `${ms(med(n, (x) => x.render))} (${ms(med(n, (x) => x.renderScript))})`,
    };
    for (const q of QUERIES) row[`filter "${q}" (work)`] = `${ms(med(n, (x) => x.filter[q]!))} (${ms(med(n, (x) => x.filterWork[q]!))})`;
    row['scroll to bottom'] = ms(med(n, (x) => x.scroll));
    row['DOM rows (top / bottom)'] = `${med(n, (x) => x.rows)} / ${med(n, (x) => x.rowsBottom)}`;
    row['last row drawn at bottom'] = s.lastOk ? 'yes' : 'NO';
    return row;
  }));
  const [lo, , hi] = SIZES as [number, number, number];
  const r = (f: (s: SizeSamples) => number[]): string => ratio(med(hi, f) / med(lo, f));
  const ratios = [
    `snapshot ${r((x) => x.render)} (script ${r((x) => x.renderScript)})`,
    ...QUERIES.map((q) => `filter "${q}" ${r((x) => x.filter[q]!)} (work ${r((x) => x.filterWork[q]!)})`),
    `scroll ${r((x) => x.scroll)}`,
  ];
  console.log(`${hi.toLocaleString('en')} vs ${lo}: ${ratios.join(', ')}`);
  console.log(`a filter keystroke = the panel's ${DEBOUNCE_MS} ms debounce (media/trace.js) + the filter's work (rebuild, count, rows in view) + the wait for the next frame`);
  const slowest = QUERIES.reduce((a, q) => (med(hi, (x) => x.filter[q]!) > med(hi, (x) => x.filter[a]!) ? q : a));
  const worstFilter = med(hi, (x) => x.filter[slowest]!);
  const render = med(hi, (x) => x.render);
  const rowsHi = med(hi, (x) => x.rows);
  const rowsMid = med(SIZES[1]!, (x) => x.rows);
  goal(`filter keystroke at ${hi.toLocaleString('en')} ≤ 100 ms`, worstFilter <= 100,
    `slowest query "${slowest}" ${ms(worstFilter)}: debounce ${ms(med(hi, (x) => x.filterWait))}, filter work ${ms(med(hi, (x) => x.filterWork[slowest]!))}, the rest waiting for the frame`);
  goal(`snapshot render at ${hi.toLocaleString('en')} ≤ 200 ms`, render <= 200, `${ms(render)}, ${ratio(render / med(lo, (x) => x.render))} the render at ${lo}`);
  goal(`DOM rows at ${hi.toLocaleString('en')} within 10% of at ${SIZES[1]!.toLocaleString('en')}`, Math.abs(rowsHi - rowsMid) <= 0.1 * rowsMid, `${rowsHi} vs ${rowsMid} (at ${lo}: ${med(lo, (x) => x.rows)})`);
}

function reportStream(s: StreamResult): void {
  console.log(`\nLive stream: ${BIG.toLocaleString('en')} exchanges in ${s.updates} TraceBatcher updates of ${STREAM_BATCH} (one every 50 ms at 1,000 exchanges/s), each posted once the previous one is painted`);
  console.log('(an update waits for the next frame, then for that frame to be painted: two frames at 60 Hz, whatever the work)');
  table([{
    'total (all updates painted)': ms(median(s.total)), 'per update → painted': ms(median(s.perUpdate)), 'per update, script work': ms(median(s.work)),
    'work, first / last tenth': `${ms(median(s.early))} / ${ms(median(s.late))} (${ratio(median(s.late) / median(s.early))})`,
    'of the 50 ms budget': `${((median(s.work) / 50) * 100).toFixed(0)}%`, 'count at the end': s.finalCount,
  }]);
}

// ------------------------------------------------------------------------------------------ host memory

const USERS = 2_000;
const GROUPS = 40;
const LIST_COUNT = 120; // users a list page: about 75 KB of body, more than the 64 KB body cap
const WORST_PAGES = 1_000; // list pages only: 64 Mi characters of capped bodies, twice the default body budget
const WORKERS = 4;

interface Fixture { users: string[]; groups: string[] }

async function fixture(sb: ChildSandbox): Promise<Fixture> {
  const users = await sb.call<string[]>('userIds', 1, USERS, 4);
  const groups: string[] = [];
  for (let g = 1; g <= GROUPS; g++) groups.push(await sb.call<string>('groupIdByName', `group-${String(g).padStart(2, '0')}`));
  return { users, groups };
}

/** One worker's session: operations of 6 to 12 exchanges, about one in ten a full-size list page. */
function sessionOps(fx: Fixture, worker: number): Array<{ title: string; run(c: ScimClient, ctx: CallContext, i: number): Promise<unknown> }> {
  const user = (i: number): string => fx.users[(i * 37 + worker * 11) % fx.users.length]!;
  const spare = (i: number): string => fx.users[1000 + worker * 100 + (i % 100)]!; // never a seeded member
  const group = (i: number): string => fx.groups[(worker * 10 + (i % 10)) % fx.groups.length]!;
  const gets = async (c: ScimClient, ctx: CallContext, endpoint: string, ids: string[]): Promise<void> => { for (const id of ids) await c.get(endpoint, id, {}, ctx); };
  const browse = {
    title: 'Browse users',
    async run(c: ScimClient, ctx: CallContext, i: number) {
      for (const k of [0, 1]) await c.listPage('Users', { count: LIST_COUNT, startIndex: 1 + ((i * 7 + k * 13) % 15) * LIST_COUNT }, ctx);
      await gets(c, ctx, 'Users', [0, 1, 2, 3].map((k) => user(i + k)));
    },
  };
  return [
    browse,
    { title: 'Open groups', run: async (c, ctx, i) => { await gets(c, ctx, 'Groups', [0, 1, 2].map((k) => group(i + k))); await gets(c, ctx, 'Users', [4, 5, 6, 7, 8].map((k) => user(i + k))); } },
    browse,
    {
      title: 'Change members',
      async run(c, ctx, i) {
        const who = [spare(i), spare(i + 50)];
        await c.changeMembers(group(i), { add: who, remove: [] }, {}, ctx);
        await c.changeMembers(group(i), { add: [], remove: who }, {}, ctx);
        await c.get('Groups', group(i), {}, ctx);
      },
    },
    { title: 'Inspect users', run: (c, ctx, i) => gets(c, ctx, 'Users', Array.from({ length: 12 }, (_, k) => user(i * 3 + k))) },
  ];
}

/** Counts the exchanges pushed into a trace (each once, whatever how many events it makes). */
function pushCounter(trace: Trace): () => number {
  const seen = new WeakSet<Exchange>();
  let n = 0;
  trace.onEvent((e) => { if (e.type === 'exchange' && !seen.has(e.exchange)) { seen.add(e.exchange); n++; } });
  return () => n;
}

/** WORKERS sessions in parallel until `pushed()` reaches `target`; returns the largest trace.size seen. */
async function fill(client: ScimClient, fx: Fixture, pushed: () => number, target: number, between?: () => Promise<void>): Promise<number> {
  let maxSize = 0;
  const worker = async (w: number): Promise<void> => {
    const ops = sessionOps(fx, w);
    for (let i = 0; pushed() < target; i++) {
      const op = ops[i % ops.length]!;
      await client.run(op.title, undefined, (call) => op.run(client, { operation: call.operation }, i));
      maxSize = Math.max(maxSize, client.trace.size);
      await between?.();
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
  return maxSize;
}

function heapUsed(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

interface Breakdown { exchanges: number; listPages: number; listBody: number; otherBody: number; requestBody: number; headers: number; headerEntries: number; urls: number }

/** What the trace holds, in characters (one byte each for these ASCII strings). */
function breakdown(trace: Trace): Breakdown {
  const b: Breakdown = { exchanges: 0, listPages: 0, listBody: 0, otherBody: 0, requestBody: 0, headers: 0, headerEntries: 0, urls: 0 };
  for (const ex of trace.operations().flatMap((o) => o.exchanges)) {
    const body = ex.response?.body?.length ?? 0;
    const list = /\/Users\?/.test(ex.request.url) && body > 10_000;
    b.exchanges++;
    if (list) { b.listPages++; b.listBody += body; } else b.otherBody += body;
    b.requestBody += ex.request.body?.length ?? 0;
    for (const [k, v] of [...ex.request.headers, ...(ex.response?.headers ?? [])]) {
      b.headers += k.length + v.length;
      b.headerEntries++;
    }
    b.urls += ex.request.url.length + ex.request.line.length;
  }
  return b;
}

/** Heap of one full-size list-page exchange: a trace with a cap of 100, pushed 200 pages. */
async function listPageCost(sb: ChildSandbox): Promise<{ perPage: number; size: number; cap: number }> {
  const trace = new Trace({ maxExchanges: 100 });
  const client = new ScimClient(sb.profile(), { trace });
  await client.discover();
  trace.clear();
  const h0 = heapUsed();
  for (let i = 0; i < 200; i++) await client.listPage('Users', { count: LIST_COUNT, startIndex: 1 + (i % 15) * LIST_COUNT });
  const perPage = (heapUsed() - h0) / trace.size;
  await client.close();
  return { perPage, size: trace.size, cap: trace.maxExchanges };
}

interface WorstCase { pages: number; budget: number; heap: number; heapUnbounded: number; held: number; heldUnbounded: number; dropped: number }

/** The worst mix: nothing but full-size list pages, with the default body budget and without one. */
async function listPagesOnly(sb: ChildSandbox, pages: number): Promise<WorstCase> {
  const run = async (maxBodyChars?: number): Promise<{ heap: number; held: number; dropped: number; budget: number }> => {
    const trace = new Trace(maxBodyChars === undefined ? {} : { maxBodyChars }); // undefined: the default budget
    const client = new ScimClient(sb.profile(), { trace });
    await client.discover();
    trace.clear();
    const h0 = heapUsed();
    for (let i = 0; i < pages; i++) await client.listPage('Users', { count: LIST_COUNT, startIndex: 1 + (i % 15) * LIST_COUNT });
    const heap = heapUsed() - h0;
    const dropped = trace.operations().flatMap((o) => o.exchanges).filter((e) => e.bodiesDropped).length;
    await client.close();
    return { heap, held: trace.bodySize, dropped, budget: trace.maxBodyChars };
  };
  const bounded = await run();
  const unbounded = await run(Infinity);
  return { pages, budget: bounded.budget, heap: bounded.heap, heapUnbounded: unbounded.heap, held: bounded.held, heldUnbounded: unbounded.held, dropped: bounded.dropped };
}

/** Watches drops: the running operation must never be one, nor a finished op newer than one still kept. */
function dropWatch(trace: Trace): { keep(op: Operation): void; violations(): string[] } {
  const order = new Map<string, number>();
  const problems: string[] = [];
  let kept: Operation | undefined;
  trace.onEvent((e) => {
    if (e.type === 'operation' && !order.has(e.operation.id)) order.set(e.operation.id, order.size);
    if (e.type !== 'dropped') return;
    if (kept && e.operationIds.includes(kept.id)) problems.push(`the running operation ${kept.id} was dropped`);
    const newestDropped = Math.max(...e.operationIds.map((id) => order.get(id) ?? -1));
    const olderKept = trace.operations().filter((o) => (order.get(o.id) ?? 0) < newestDropped && o.state !== 'running');
    if (olderKept.length) problems.push(`${olderKept.length} finished operation(s) older than a dropped one kept`);
  });
  return { keep: (op) => { kept = op; }, violations: () => problems };
}

async function memoryFigures(): Promise<void> {
  const sb = await startChildSandbox({ users: USERS, groups: GROUPS, seed: 1 });
  try {
    const fx = await fixture(sb);
    { // warm-up (JIT, sockets, the sandbox's caches), in a throw-away trace
      const c = new ScimClient(sb.profile(), { trace: new Trace() });
      await c.discover();
      const pushed = pushCounter(c.trace);
      await fill(c, fx, pushed, 1_000);
      await c.close();
    }
    const trace = new Trace(); // the extension's defaults: maxExchanges 10,000, bodyCap 64 KB
    const cap = trace.maxExchanges;
    console.log(`\nExtension-host memory: a core Trace (cap ${cap.toLocaleString('en')}, body cap ${kb(trace.bodyCap)}) filled by the real pipeline (ScimClient, ${WORKERS} sessions in parallel) against the sandbox (pid ${sb.pid})`);
    const client = new ScimClient(sb.profile(), { trace });
    await client.discover();
    const pushed = pushCounter(trace);
    const drops = dropWatch(trace);
    const t0 = performance.now();
    const base = heapUsed();
    const max1 = await fill(client, fx, pushed, cap);
    const at1 = heapUsed();
    const pushed1 = pushed();
    const b = breakdown(trace);
    const size1 = trace.size;

    // a long operation that keeps running while 10,000 more exchanges push it past the cap
    const running = trace.startOperation('Bulk add (kept running)', client.profile.name);
    drops.keep(running);
    const intoRunning = async (): Promise<void> => { await client.get('Users', fx.users[running.exchanges.length % USERS]!, {}, { operation: running }); };
    for (let i = 0; i < 20; i++) await intoRunning();
    let k = 0;
    const max2 = await fill(client, fx, pushed, pushed1 + cap, async () => { if (++k % 50 === 0) await intoRunning(); });
    const at2 = heapUsed();
    const pushed2 = pushed();
    const runningKept = trace.operation(running.id)?.exchanges.length ?? 0;
    const runningSent = running.exchanges.length;
    const oldest = trace.operations()[0]?.id === running.id;
    trace.endOperation(running, 'ok');
    const fillMs = performance.now() - t0;
    await client.close();
    const cost = await listPageCost(sb);
    const worst = await listPagesOnly(sb, WORST_PAGES);
    reportMemory({ cap, base, at1, at2, pushed1, pushed2, size1, size2: trace.size, maxSize: Math.max(max1, max2), b, cost, fillMs, requests: client.pipeline.stats.requests, worst });
    goal('running operation never dropped', runningKept === runningSent && runningKept > 0 && drops.violations().length === 0,
      `its ${runningKept} of ${runningSent} exchanges still in the trace after ${(pushed2 - pushed1).toLocaleString('en')} more were pushed; it is ${oldest ? 'the oldest operation kept' : 'NOT the oldest kept'}; drop order: ${drops.violations().length ? drops.violations().slice(0, 3).join('; ') : 'oldest finished first, every time'}`);
  } finally {
    await sb.stop();
  }
}

interface MemoryFigures {
  cap: number; base: number; at1: number; at2: number; pushed1: number; pushed2: number; size1: number; size2: number; maxSize: number;
  b: Breakdown; cost: { perPage: number; size: number; cap: number }; fillMs: number; requests: number; worst: WorstCase;
}

function reportMemory(m: MemoryFigures): void {
  const d1 = m.at1 - m.base;
  const d2 = m.at2 - m.base;
  table([
    { state: 'before (client ready, trace empty)', pushed: 0, 'trace.size': 0, heapUsed: mb(m.base), 'trace heap (delta)': '' },
    { state: 'ring buffer full', pushed: m.pushed1.toLocaleString('en'), 'trace.size': m.size1.toLocaleString('en'), heapUsed: mb(m.at1), 'trace heap (delta)': mb(d1) },
    { state: `${(m.pushed2 - m.pushed1).toLocaleString('en')} more pushed`, pushed: m.pushed2.toLocaleString('en'), 'trace.size': m.size2.toLocaleString('en'), heapUsed: mb(m.at2), 'trace heap (delta)': mb(d2) },
  ]);
  const { b } = m;
  const strings = b.listBody + b.otherBody + b.requestBody + b.headers + b.urls;
  const otherCost = (d1 - b.listPages * m.cost.perPage) / Math.max(1, b.exchanges - b.listPages);
  console.log(`${m.requests.toLocaleString('en')} requests through the pipeline in ${ms(m.fillMs)}; largest trace.size seen ${m.maxSize.toLocaleString('en')} (cap ${m.cap.toLocaleString('en')})`);
  console.log(`heap per exchange with the ring full: ${kb(d1 / m.size1)} (${m.size1.toLocaleString('en')} exchanges, ${b.listPages} of them list pages of ${LIST_COUNT} users = ${((b.listPages / b.exchanges) * 100).toFixed(0)}%)`);
  console.log(`breakdown of the ${mb(d1)}: response bodies of list pages ${mb(b.listBody)}, other response bodies ${mb(b.otherBody)}, request bodies ${mb(b.requestBody)}, headers ${mb(b.headers)} (${(b.headerEntries / b.exchanges).toFixed(0)} per exchange), URLs and request lines ${mb(b.urls)}; objects, maps and the rest ${mb(d1 - strings)}`);
  console.log(`one full-size list-page exchange (body capped at 64 KB): ${kb(m.cost.perPage)} (measured in a trace with cap ${m.cost.cap}: it kept ${m.cost.size} of 200 pushed); any other exchange: about ${kb(otherCost)}`);
  const w = m.worst;
  const chars = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} Mi chars`;
  console.log(`\nWorst mix, ${w.pages.toLocaleString('en')} full-size list pages and nothing else (the body budget keeps the newest bodies, every exchange's head stays):`);
  table([
    { trace: `body budget ${chars(w.budget)} (default)`, 'bodies held': chars(w.held), 'bodies dropped': w.dropped.toLocaleString('en'), 'trace heap (delta)': mb(w.heap) },
    { trace: 'no body budget', 'bodies held': chars(w.heldUnbounded), 'bodies dropped': 0, 'trace heap (delta)': mb(w.heapUnbounded) },
  ]);
  const heads = m.cap * otherCost;
  const bound = w.budget * 2 + heads; // a character is at most 2 bytes in V8
  console.log(`with the budget: ${mb(w.heap)} vs ${mb(w.heapUnbounded)} without (${(w.heap / w.heapUnbounded).toFixed(2)}×); at the cap of ${m.cap.toLocaleString('en')} the trace holds at most the budget (${chars(w.budget)}, ≤ ${mb(w.budget * 2)}) plus ${m.cap.toLocaleString('en')} heads (${mb(heads)}): ≤ ${mb(bound)} (without a budget: ${mb(m.cap * m.cost.perPage)})`);
  goal('bodies held stay within the body budget (only list pages)', w.held <= w.budget && w.dropped > 0, `${chars(w.held)} held ≤ ${chars(w.budget)}; ${w.dropped} oldest bodies dropped`);
  goal(`heap flat after ${(m.pushed2 - m.pushed1).toLocaleString('en')} more pushed (heapUsed after / at full ≤ 1.15)`, m.at2 / m.at1 <= 1.15, `${mb(m.at2)} / ${mb(m.at1)} = ${(m.at2 / m.at1).toFixed(3)} (trace heap alone ${(d2 / d1).toFixed(3)})`);
  goal('trace.size stays ≤ cap', m.maxSize <= m.cap && m.size2 <= m.cap, `largest seen ${m.maxSize.toLocaleString('en')}, at the end ${m.size2.toLocaleString('en')}, cap ${m.cap.toLocaleString('en')}`);
}

async function main(): Promise<void> {
  header(`panel: trace panel at ${BIG.toLocaleString('en')} exchanges, and the host's trace with its ring buffer full`);
  await panelFigures();
  await memoryFigures();
  printGoals();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
