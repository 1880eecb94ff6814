// Webview safety: the trace panel's HTML shell has a strict CSP with a nonce, and every server-provided
// string (display names, URLs, header names and values, bodies, diagnoses, probe details) is rendered as
// text. media/trace-view.js runs here against a tiny DOM shim whose innerHTML throws and which records
// every element created: an HTML payload that became markup would create an <img> or <script>.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { contentSecurityPolicy, makeNonce, traceHtml } from '../../src/extension/trace-html';

const root = path.resolve(__dirname, '..', '..');
const requireMedia = createRequire(path.join(root, 'media', 'x.js'));

const View = requireMedia('./trace-view.js') as {
  renderExchange(doc: unknown, msg: unknown, primary: boolean): Node;
  renderRow(doc: unknown, row: unknown, index: number, state: unknown): Node;
  renderCompare(doc: unknown, a: unknown, b: unknown): Node;
  renderProbe(doc: unknown, msg: unknown): Node;
  buildRows(order: string[], ops: Map<string, unknown>, exByOp: Map<string, unknown[]>, q: string, collapsed?: Set<string>): Array<{ kind: string; id: string }>;
  matches(ex: unknown, title: string, q: string): boolean;
  visibleRange(top: number, h: number, rowH: number, total: number, over: number): { start: number; end: number };
  headerDiff(a: Array<[string, string]>, b: Array<[string, string]>): { onlyA: string[]; onlyB: string[]; changed: string[] };
};

type Node = FakeEl;
class FakeEl {
  readonly tagName: string;
  children: FakeEl[] = [];
  attributes: Record<string, string> = {};
  className = '';
  private text = '';
  constructor(tag: string) { this.tagName = tag.toLowerCase(); }
  get textContent(): string { return this.text + this.children.map((c) => c.textContent).join(''); }
  set textContent(v: string) { this.children = []; this.text = String(v); }
  set innerHTML(_v: string) { throw new Error('innerHTML must never be used'); }
  set outerHTML(_v: string) { throw new Error('outerHTML must never be used'); }
  insertAdjacentHTML(): void { throw new Error('insertAdjacentHTML must never be used'); }
  setAttribute(k: string, v: string): void {
    if (/^on/i.test(k)) throw new Error(`inline handler attribute ${k}`);
    this.attributes[k] = String(v);
  }
  getAttribute(k: string): string | null { return this.attributes[k] ?? null; }
  appendChild(c: FakeEl): FakeEl { this.children.push(c); return c; }
  all(): FakeEl[] { return [this, ...this.children.flatMap((c) => c.all())]; }
  find(pred: (e: FakeEl) => boolean): FakeEl[] { return this.all().filter(pred); }
}
function fakeDocument() {
  const created: string[] = [];
  return { created, createElement: (tag: string) => { created.push(tag.toLowerCase()); return new FakeEl(tag); } };
}

const XSS = [
  '<img src=x onerror=alert(1)>',
  '<script>alert(2)</script>',
  '"><svg onload=alert(3)>',
  'javascript:alert(4)',
];
const payload = XSS.join(' ');

function hostileExchange() {
  return {
    id: 'ex1', operationId: 'op1', seq: 1, state: 'done', attempt: 2, retryOf: 'ex0', keySentAs: 'header',
    warnings: [`warning ${payload}`],
    timings: { start: Date.parse('2025-01-01T00:00:00Z'), sent: 1, headers: 2, end: 3, waited: 4 },
    request: {
      method: 'PATCH', url: `https://gw/scim/Groups/${encodeURIComponent(XSS[0]!)}`, line: `PATCH /scim/Groups/${XSS[0]} HTTP/1.1`, wire: true,
      headers: [['Ocp-Apim-Subscription-Key', '••••abcd'], [`X-Evil-${XSS[1]}`, payload]],
      body: JSON.stringify({ displayName: payload }), bodySize: 10,
    },
    response: {
      status: 200, statusText: payload, answeredBy: 'backend', truncated: false, bodySize: 10,
      headers: [['Content-Type', 'application/scim+json'], [`X-Resp-${XSS[0]}`, payload]],
      body: JSON.stringify({ id: '1', displayName: payload, members: [{ display: payload }] }),
    },
    location: { policy: 'rewrite', from: `https://backend/${XSS[2]}`, to: 'https://gw/x', credentialsWithheld: false },
    diagnosis: { severity: 'error', source: 'scim', code: 'scim.x', summary: `summary ${payload}`, fix: `fix ${payload}` },
    error: { code: 'scim', message: payload },
  };
}

const SAFE_TAGS = new Set(['div', 'span', 'table', 'tr', 'td', 'th', 'pre', 'h3', 'strong', 'button', 'ul', 'li']);

function assertNoMarkup(doc: ReturnType<typeof fakeDocument>, root: FakeEl): void {
  for (const tag of doc.created) assert.ok(SAFE_TAGS.has(tag), `unexpected element <${tag}> created`);
  for (const el of root.all()) {
    for (const [k] of Object.entries(el.attributes)) assert.doesNotMatch(k, /^on/i, 'inline handler');
  }
}

test('the exchange detail renders every hostile server string as text (headers, bodies, status, diagnosis, location, warnings)', () => {
  const doc = fakeDocument();
  const root = View.renderExchange(doc, {
    exchange: hostileExchange(), revealable: [0],
    operation: { id: 'op1', title: `Add 1 member to ${payload}`, profile: 'dev', state: 'ok', startedAt: 0 },
  }, true);
  assertNoMarkup(doc, root);
  const text = root.textContent;
  for (const p of XSS) assert.ok(text.includes(p), `payload kept as text: ${p}`);
  // the e2e contract: #req-headers rows with td.h-name / td.h-value in wire order, the value cell holding only the value
  const table = root.find((e) => e.attributes['id'] === 'req-headers')[0];
  assert.ok(table, '#req-headers');
  const rows = table.find((e) => e.tagName === 'tr');
  const cells = rows.map((r) => [r.find((e) => e.className === 'h-name')[0]?.textContent, r.find((e) => e.className === 'h-value')[0]?.textContent]);
  assert.deepEqual(cells[0], ['Ocp-Apim-Subscription-Key', '••••abcd']);
  assert.equal(cells[1]?.[1], payload);
  assert.equal(root.find((e) => e.className === 'reveal').length, 1, 'one reveal button, for the masked value');
  assert.ok(root.find((e) => e.attributes['id'] === 'res-headers').length === 1);
  assert.match(root.find((e) => e.className.startsWith('status-line'))[0]!.textContent, /^HTTP 200 /);
  assert.equal(root.find((e) => e.className.startsWith('diagnosis')).length, 1);
  assert.ok(root.find((e) => e.className === 'request-line')[0]!.textContent.startsWith('PATCH '));
});

test('rows, compare and probe views keep hostile strings as text too', () => {
  const doc = fakeDocument();
  const op = { id: 'op1', title: payload, profile: payload, state: 'failed', startedAt: 0, diagnosis: payload, severity: 'error' };
  const ex = { id: 'ex1', op: 'op1', seq: 1, method: 'PATCH', path: `/Groups/${XSS[0]}`, host: 'gw', status: 204, state: 'done', ms: 12, attempt: 1, diagnosis: payload };
  const opRow = View.renderRow(doc, { kind: 'op', id: 'op1', op, count: 1 }, 0, { focusIndex: 0, compareIds: [] });
  const exRow = View.renderRow(doc, { kind: 'ex', id: 'ex1', ex, op }, 1, { focusIndex: 0, compareIds: [] });
  assert.match(opRow.className, /\bop-row\b/);
  assert.ok(opRow.textContent.includes(payload));
  assert.match(exRow.className, /\bex-row\b/);
  assert.equal(exRow.attributes['data-method'], 'PATCH');
  assert.equal(exRow.attributes['data-status'], '204');
  // a tree of operations and their exchanges (ARIA: aria-expanded and aria-selected are valid on treeitems)
  assert.equal(opRow.attributes['role'], 'treeitem');
  assert.equal(opRow.attributes['aria-level'], '1');
  assert.equal(exRow.attributes['role'], 'treeitem');
  assert.equal(exRow.attributes['aria-level'], '2');
  assert.ok(exRow.textContent.includes(`/Groups/${XSS[0]}`));
  const a = { exchange: hostileExchange(), revealable: [] };
  const b = { exchange: { ...hostileExchange(), id: 'ex2', request: { ...hostileExchange().request, headers: [['Accept', 'x']] } }, revealable: [] };
  const cmp = View.renderCompare(doc, a, b);
  assert.ok(cmp.find((e) => e.className === 'diff-only').length >= 2, 'headers present on one side only are highlighted');
  const probe = View.renderProbe(doc, { profile: payload, rows: [{ method: 'PATCH', url: payload, keySent: 'none', customHeadersSent: [payload], customHeadersMissing: [], status: 401, answeredBy: 'gateway', verdict: 'fail', detail: payload }] });
  for (const root of [opRow, exRow, cmp, probe]) assertNoMarkup(doc, root);
  assert.ok(probe.textContent.includes(payload));
});

test('filter by method, status, status class and text; virtual window', () => {
  const ex = { method: 'PATCH', path: '/scim/Groups/1', host: 'gw', status: 401 };
  assert.ok(View.matches(ex, 'Add members', 'patch'));
  assert.ok(View.matches(ex, 'Add members', 'PATCH 401'));
  assert.ok(View.matches(ex, 'Add members', '4xx groups'));
  assert.ok(!View.matches(ex, 'Add members', 'GET'));
  assert.ok(!View.matches(ex, 'Add members', '204'));
  assert.ok(View.matches(ex, 'Add members', 'add'));
  const ops = new Map<string, unknown>([['a', { id: 'a', title: 'List Users' }], ['b', { id: 'b', title: 'Add' }]]);
  const exByOp = new Map<string, unknown[]>([['a', [{ id: 'x1', method: 'GET', path: '/Users', status: 200 }]], ['b', [{ id: 'x2', method: 'PATCH', path: '/Groups/1', status: 204 }]]]);
  assert.deepEqual(View.buildRows(['b', 'a'], ops, exByOp, '').map((r) => r.id), ['b', 'x2', 'a', 'x1']);
  assert.deepEqual(View.buildRows(['b', 'a'], ops, exByOp, 'PATCH').map((r) => r.id), ['b', 'x2']);
  assert.deepEqual(View.buildRows(['b', 'a'], ops, exByOp, '', new Set(['b'])).map((r) => r.id), ['b', 'a', 'x1']);
  // 10,000 rows: only what is in view (+ overscan) is drawn
  const r = View.visibleRange(22 * 5000, 440, 22, 10_000, 8);
  assert.deepEqual(r, { start: 4992, end: 5029 });
  assert.ok(r.end - r.start < 50);
  assert.deepEqual(View.headerDiff([['A', '1'], ['B', '2']], [['a', '1'], ['C', '3']]), { onlyA: ['b'], onlyB: ['c'], changed: [] });
});

test('the panel HTML: strict CSP with a nonce, scripts and styles only from the webview resource origin, no inline code', () => {
  const nonce = makeNonce();
  assert.match(nonce, /^[A-Za-z0-9]{16,}$/);
  const csp = contentSecurityPolicy('https://file+.vscode-resource.vscode-cdn.net', nonce);
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, new RegExp(`script-src 'nonce-${nonce}'(;|$)`));
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  const html = traceHtml({
    cspSource: 'https://file+.vscode-resource.vscode-cdn.net', nonce,
    scripts: ['https://file+.vscode-resource.vscode-cdn.net/ext/media/trace-view.js', 'https://file+.vscode-resource.vscode-cdn.net/ext/media/trace.js'],
    styles: ['https://file+.vscode-resource.vscode-cdn.net/ext/media/trace.css'],
  });
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.equal(scripts.length, 2);
  for (const [, attrs, body] of scripts) {
    assert.match(attrs!, new RegExp(`nonce="${nonce}"`));
    assert.match(attrs!, /src="https:\/\/file\+\.vscode-resource[^"]*\/media\/trace(-view)?\.js"/);
    assert.equal(body!.trim(), '', 'no inline script');
  }
  assert.doesNotMatch(html, /<style\b/, 'no inline style element');
  assert.doesNotMatch(html, /\son[a-z]+\s*=/i, 'no inline handler');
  assert.doesNotMatch(html, /\sstyle\s*=/i, 'no inline style attribute');
  for (const id of ['filter', 'list', 'detail', 'compare', 'export-har', 'copy-curl']) assert.match(html, new RegExp(`id="${id}"`));
});

test('the webview scripts never write HTML strings into the DOM', () => {
  for (const f of ['trace.js', 'trace-view.js']) {
    const src = readFileSync(path.join(root, 'media', f), 'utf8').replace(/\/\/.*$/gm, '');
    assert.doesNotMatch(src, /\.innerHTML\s*=|\.outerHTML\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(/, f);
    assert.doesNotMatch(src, /setAttribute\(\s*['"]on/i, f);
  }
});
