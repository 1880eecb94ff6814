// Issue 11 points 1-3 and issue 9 part B, in pure functions: the diagnosis of a request that left the gateway,
// who answered (and why we think so), the notes and marks of rewritten server URLs (CLI, notification, trace
// rows and operation headers), expected answers not drawn as errors, decoded URLs, the filter on profile names,
// JSON body diffs in the compare view, and the probe's findings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { diagnoseExchange, locationNotes } from '../../src/core/diagnosis';
import { whoAnswered } from '../../src/core/http/pipeline';
import { HttpStatusError } from '../../src/core/errors';
import type { Exchange, Operation } from '../../src/core/trace';
import { exRow, opRow } from '../../src/extension/trace-protocol';
import { locationNotice, probeNotification } from '../../src/extension/command-messages';
import { exchangeLogLine, failureLine } from '../../src/extension/messages';
import { formatDiscovery, formatProbe } from '../../src/cli/commands';
import type { ProbeRow } from '../../src/core/scim/types';
import { sandboxProfile } from '../helpers/profile';
import { applyPage, childrenWithMore, emptyPaging, failingExchange, failPage, viewOf, type ResourceTypeNode } from '../../src/extension/tree-model';

const root = path.resolve(__dirname, '..', '..');

const View = createRequire(path.join(root, 'media', 'x.js'))('./trace-view.js') as {
  renderExchange(doc: unknown, msg: unknown, primary: boolean): FakeEl;
  renderRow(doc: unknown, row: unknown, index: number, state: unknown): FakeEl;
  renderCompare(doc: unknown, a: unknown, b: unknown): FakeEl;
  renderProbe(doc: unknown, msg: unknown): FakeEl;
  buildRows(order: string[], ops: Map<string, unknown>, exByOp: Map<string, unknown[]>, q: string): Array<{ kind: string; id: string }>;
  matches(ex: unknown, title: string, q: string, profile?: string): boolean;
  displayUrl(url: string): string;
  bodyDiff(a?: string, b?: string): { rows: Array<{ path: string; a: string; b: string; kind: string }>; more: number };
};

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
  setAttribute(k: string, v: string): void { this.attributes[k] = String(v); }
  getAttribute(k: string): string | null { return this.attributes[k] ?? null; }
  appendChild(c: FakeEl): FakeEl { this.children.push(c); return c; }
  all(): FakeEl[] { return [this, ...this.children.flatMap((c) => c.all())]; }
  find(pred: (e: FakeEl) => boolean): FakeEl[] { return this.all().filter(pred); }
}
const doc = { createElement: (tag: string) => new FakeEl(tag) };
const has = (el: FakeEl, cls: string) => el.find((e) => e.className.split(' ').includes(cls));

const GW = 'https://gw.example.com/scim/v2';
const BACKEND = 'http://10.0.0.5:8080';
let n = 0;
function exchange(method: string, status: number, body: unknown, extra: Partial<Exchange> = {}, headers: Array<[string, string]> = [['content-type', 'application/scim+json']]): Exchange {
  n += 1;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const who = whoAnswered(headers, text);
  return {
    id: `ex${n}`, operationId: 'op1', seq: n, state: 'done', attempt: 1, keySentAs: 'header', warnings: [],
    timings: { start: 0, end: 5 },
    request: { method, url: `${GW}/Groups/42`, line: `${method} /scim/v2/Groups/42 HTTP/1.1`, headers: [], wire: true, bodySize: 0 },
    response: { status, statusText: '', headers, body: text, bodySize: text.length, truncated: false, answeredBy: who.by, answeredWhy: who.why },
    ...extra,
  };
}
const scimError = (status: number, detail: string) => ({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: String(status), detail });
const followed = { policy: 'follow' as const, from: `${BACKEND}/scim/v2/Groups/42`, to: `${BACKEND}/scim/v2/Groups/42`, credentialsWithheld: true };
const rewritten = { policy: 'rewrite' as const, from: `${BACKEND}/scim/v2/Groups/42`, to: `${GW}/Groups/42`, credentialsWithheld: false };

test("the seed's failure: a PUT sent to meta.location's origin without credentials is said first, with both origins and the fix", () => {
  const ex = exchange('PUT', 401, scimError(401, 'Authorization required'), { keySentAs: 'none', location: followed });
  ex.request.url = followed.to;
  const d = diagnoseExchange(ex, { baseUrl: GW })!;
  assert.equal(d.code, 'location.credentials-withheld');
  assert.equal(d.source, 'location');
  assert.equal(d.summary, 'PUT went to http://10.0.0.5:8080, another origin taken from meta.location instead of the gateway https://gw.example.com; '
    + 'credentials and the gateway key were withheld by design (locations: follow), and http://10.0.0.5:8080 answered 401. This is exactly how a connector loses the gateway.');
  assert.match(d.fix!, /^Set `locations: rewrite` in the profile: server URLs are then mapped onto https:\/\/gw\.example\.com and carry the key/);
  assert.doesNotMatch(`${d.summary} ${d.fix}`, /gateway let the request through|check auth/);
  // what the notification and the CLI show
  const err = new HttpStatusError('scim', 401, d.summary, { diagnosis: d, hint: d.fix });
  assert.ok(failureLine(err).startsWith('PUT went to http://10.0.0.5:8080, another origin taken from meta.location'));
  assert.match(failureLine(err), /Set `locations: rewrite`/);
  // a redirect says so instead of meta.location; an APIM key-missing answer there keeps its code and the same words
  const viaRedirect = exchange('GET', 401, { statusCode: 401, message: 'Access denied due to missing subscription key.' }, { keySentAs: 'none', location: followed, redirectOf: 'ex0' }, [['content-type', 'application/json']]);
  const r = diagnoseExchange(viaRedirect, { baseUrl: GW })!;
  assert.equal(r.code, 'gateway.key-missing-followed-location');
  assert.match(r.summary, /^GET went to http:\/\/10\.0\.0\.5:8080, another origin taken from a redirect's Location header instead of the gateway/);
  // without the profile's base URL the gateway is still named as such
  assert.match(diagnoseExchange(ex)!.summary, /instead of the gateway;/);
});

test('a rewritten server URL is a warning naming both hosts', () => {
  const d = diagnoseExchange(exchange('PUT', 200, { id: '42' }, { location: rewritten }), { baseUrl: GW })!;
  assert.equal(d.code, 'location.rewritten');
  assert.equal(d.severity, 'warning');
  assert.equal(d.summary, "meta.location pointed at another origin (http://10.0.0.5:8080), not at the gateway https://gw.example.com; rewritten onto the profile's base URL");
});

test('who answered: the gateway, the service (with what it was read from), or unsure', () => {
  const cases: Array<[Array<[string, string]>, string, string, RegExp]> = [
    [[['content-type', 'application/json']], '{"statusCode":401,"message":"Access denied due to missing subscription key."}', 'gateway', /APIM's own error body/],
    [[['content-type', 'application/json']], '{"statusCode":404,"message":"Cannot GET /scim/v2/x","error":"Not Found"}', 'backend', /NestJS/],
    [[['content-type', 'application/json']], '{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404"}', 'backend', /SCIM JSON/],
    [[['content-type', 'application/scim+json']], '', 'backend', /SCIM content type/],
    [[['X-Powered-By', 'Express'], ['content-type', 'text/html; charset=utf-8']], '<!DOCTYPE html><html><body><pre>Cannot POST /scim/v2/Groups</pre></body></html>', 'backend', /X-Powered-By: Express/],
    [[['content-type', 'text/html; charset=utf-8']], '<!DOCTYPE html>\n<html lang="en"><head><title>Error</title></head><body><pre>Cannot GET /scim/v2/Groups/.search</pre></body></html>', 'backend', /Cannot GET/],
    [[['content-type', 'text/html'], ['content-security-policy', "default-src 'none'"]], '<html><head><title>Error</title></head><body><pre>SyntaxError: Unexpected end of JSON input</pre></body></html>', 'backend', /Express's error page/],
    [[['content-type', 'text/html']], '<html><head><title>502 Bad Gateway</title></head></html>', 'unknown', /HTML page with no sign of who wrote it/],
    [[], '', 'unknown', /empty body/],
    [[['content-type', 'text/plain']], 'nope', 'unknown', /neither APIM's error body nor SCIM JSON/],
  ];
  for (const [headers, body, by, why] of cases) {
    const w = whoAnswered(headers, body);
    assert.equal(w.by, by, body);
    assert.match(w.why, why, body);
  }
});

test("HTML from the service is the service's; an HTML page from no one in particular says it is unsure", () => {
  const express = exchange('GET', 404, '<!DOCTYPE html><html><head><title>Error</title></head><body><pre>Cannot GET /scim/v2/Groups/42</pre></body></html>', {}, [['X-Powered-By', 'Express'], ['content-type', 'text/html; charset=utf-8']]);
  const d = diagnoseExchange(express)!;
  assert.equal(d.source, 'scim');
  assert.equal(d.code, 'scim.html');
  assert.match(d.summary, /^the SCIM service itself answered GET \/scim\/v2\/Groups\/42 with 404 and an HTML page \("Error"\) instead of SCIM JSON \(X-Powered-By: Express/);
  assert.match(d.summary, /the gateway forwarded the request$/);
  assert.doesNotMatch(`${d.summary} ${d.fix}`, /in front of the SCIM service/);
  const lb = exchange('GET', 502, '<html><head><title>502 Bad Gateway</title></head></html>', {}, [['content-type', 'text/html']]);
  const u = diagnoseExchange(lb)!;
  assert.equal(u.source, 'unknown');
  assert.match(u.summary, /answered 502 with an HTML page \("502 Bad Gateway"\) instead of SCIM JSON; not sure who wrote it/);
  // NestJS's {statusCode, message, error} is the service's, not APIM's "no operation"
  const nest = diagnoseExchange(exchange('GET', 404, { statusCode: 404, message: 'Cannot GET /scim/v2/Groups/42', error: 'Not Found' }, {}, [['content-type', 'application/json']]))!;
  assert.equal(nest.source, 'scim');
  assert.notEqual(nest.code, 'gateway.no-operation');
  const plain = diagnoseExchange(exchange('GET', 404, '', {}, []))!;
  assert.equal(plain.source, 'unknown');
  assert.match(plain.summary, /answered 404; not sure who answered: an empty body/);
});

test('location notes and notices: every rewritten or followed server URL is said, per host', () => {
  const a = exchange('GET', 200, { id: '42' }, { location: rewritten });
  const b = exchange('PUT', 200, { id: '42' }, { location: rewritten });
  const c = exchange('PUT', 401, '', { location: followed, keySentAs: 'none' });
  assert.deepEqual(locationNotes([a, b, c, exchange('GET', 200, {})], GW), [
    '2 server URLs (meta.location) pointed at 10.0.0.5:8080, not at the gateway gw.example.com: rewritten onto the gateway (locations: rewrite); a client that follows them leaves the gateway',
    '1 request went to 10.0.0.5:8080, taken from meta.location, not to the gateway gw.example.com: sent without credentials or the gateway key (locations: follow)',
  ]);
  assert.equal(locationNotice([{ exchanges: [exchange('GET', 200, {})] }], GW), undefined);
  assert.match(locationNotice([{ exchanges: [a] }], GW)!, /^Note: 1 server URL \(meta\.location\) pointed at 10\.0\.0\.5:8080/);
});

test('trace rows carry the marks: rewritten/followed on the exchange and counted on the operation, expected answers', () => {
  const a = exchange('GET', 200, { id: '42' }, { location: rewritten });
  const c = exchange('PUT', 401, '', { location: followed });
  const e = exchange('GET', 404, '', { expected: 'probe: reached the SCIM service (404: no such group, as expected)' });
  const op: Operation = { id: 'op1', title: 'Add', profile: 'dev', state: 'failed', startedAt: 0, exchanges: [a, c, e] };
  assert.deepEqual([exRow(a).location, exRow(a).locationHost], ['rewritten', '10.0.0.5:8080']);
  assert.deepEqual([exRow(c).location, exRow(c).locationHost], ['followed', '10.0.0.5:8080']);
  assert.equal(exRow(e).expected, e.expected);
  assert.equal(exRow(e).location, undefined);
  const row = opRow(op);
  assert.deepEqual([row.rewritten, row.followed, row.locationHosts], [1, 1, ['10.0.0.5:8080']]);
  assert.equal(opRow({ ...op, exchanges: [e] }).rewritten, undefined);

  // drawn: a mark on the exchange row and on the operation header; the expected 404 is not red
  const state = { focusIndex: 0, compareIds: [] };
  const exEl = View.renderRow(doc, { kind: 'ex', id: a.id, ex: exRow(a), op: row }, 1, state);
  assert.match(exEl.className, /\bloc-rewritten\b/);
  const mark = has(exEl, 'c-loc')[0]!;
  assert.equal(mark.textContent, '\u21C4');
  assert.match(mark.attributes['title']!, /meta\.location pointed at 10\.0\.0\.5:8080, not at the gateway: rewritten/);
  const opOnlyRewritten = opRow({ ...op, exchanges: [a] });
  const opEl = View.renderRow(doc, { kind: 'op', id: 'op1', op: opOnlyRewritten, count: 1 }, 0, state);
  assert.equal(has(opEl, 'c-mark')[0]!.textContent, '\u21C4 1 URL rewritten');
  const opFollowed = View.renderRow(doc, { kind: 'op', id: 'op1', op: row, count: 3 }, 0, state);
  assert.match(has(opFollowed, 'c-mark')[0]!.textContent, /1 sent off the gateway/);
  const expectedEl = View.renderRow(doc, { kind: 'ex', id: e.id, ex: exRow(e), op: row }, 2, state);
  assert.match(expectedEl.className, /\bexpected\b/);
  assert.equal(expectedEl.attributes['title'], e.expected);

  // the detail: a banner says the rewrite (no diagnosis), the status line of an expected answer is not an error
  const detail = View.renderExchange(doc, { exchange: a, revealable: [] }, true);
  const banner = detail.find((el) => el.className.startsWith('diagnosis'))[0]!;
  assert.match(banner.className, /sev-warning/);
  assert.match(banner.textContent, /meta\.location pointed at 10\.0\.0\.5:8080, not at the gateway: rewritten onto the gateway/);
  const expDetail = View.renderExchange(doc, { exchange: e, revealable: [] }, true);
  assert.equal(expDetail.find((el) => el.className.startsWith('diagnosis')).length, 0);
  assert.match(expDetail.find((el) => el.className.startsWith('status-line'))[0]!.className, /\bexpected\b/);
  assert.match(has(expDetail, 'expected-note')[0]!.textContent, /^Expected: probe/);
});

test('URLs are shown decoded (invisible and bidi characters kept escaped) and copied exact', () => {
  assert.equal(View.displayUrl('/scim/v2/Users?filter=userName%20eq%20%22j%C3%BCrgen%22'), '/scim/v2/Users?filter=userName eq "jürgen"');
  assert.equal(View.displayUrl('/Users?filter=a%ZZb%20c'), '/Users?filter=a%ZZb c', 'a malformed escape is kept');
  assert.equal(View.displayUrl('/x?q=a+b'), '/x?q=a+b');
  assert.equal(View.displayUrl('/x/%E2%80%AEgnp.exe%00'), '/x/%E2%80%AEgnp.exe%00');
  const ex = exchange('GET', 200, {});
  ex.request.url = `${GW}/Users?filter=userName%20eq%20%22bob%22`;
  ex.request.line = 'GET /scim/v2/Users?filter=userName%20eq%20%22bob%22 HTTP/1.1';
  const d = View.renderExchange(doc, { exchange: ex, revealable: [] }, true);
  const line = d.find((el) => el.className === 'request-line')[0]!;
  assert.equal(line.textContent, 'GET /scim/v2/Users?filter=userName eq "bob" HTTP/1.1');
  assert.equal(line.attributes['data-exact'], ex.request.line);
  const copy = has(d, 'copy-url')[0]!;
  assert.equal(copy.attributes['data-exchange'], ex.id);
  const row = View.renderRow(doc, { kind: 'ex', id: ex.id, ex: exRow(ex), op: {} }, 0, { focusIndex: 0 });
  assert.equal(has(row, 'c-path')[0]!.textContent, '/scim/v2/Users?filter=userName eq "bob"');
  assert.ok(View.matches(exRow(ex), 'List', 'bob"'), 'the decoded form matches');
});

test('the filter matches profile names', () => {
  const ops = new Map<string, unknown>([['a', { id: 'a', title: 'List Users', profile: 'prod-eu' }], ['b', { id: 'b', title: 'List Users', profile: 'dev' }]]);
  const exByOp = new Map<string, unknown[]>([['a', [{ id: 'x1', method: 'GET', path: '/Users', status: 200 }]], ['b', [{ id: 'x2', method: 'GET', path: '/Users', status: 200 }]]]);
  assert.deepEqual(View.buildRows(['b', 'a'], ops, exByOp, 'prod-eu').map((r) => r.id), ['a', 'x1']);
  assert.deepEqual(View.buildRows(['b', 'a'], ops, exByOp, 'dev GET').map((r) => r.id), ['b', 'x2']);
  assert.ok(!View.matches({ method: 'GET', path: '/Users' }, 'List', 'prod', 'dev'));
});

test('compare diffs the JSON bodies, members keyed by value', () => {
  const before = JSON.stringify({ id: '42', displayName: 'Eng', members: [{ value: 'u1' }, { value: 'u2' }], meta: { version: 'W/"1"' } });
  const after = JSON.stringify({ id: '42', displayName: 'Eng', members: [{ value: 'u0' }, { value: 'u1' }, { value: 'u2' }], meta: { version: 'W/"2"' } });
  const d = View.bodyDiff(before, after);
  assert.deepEqual(d.rows.map((r) => [r.path, r.kind]).sort(), [['members[value=u0].value', 'onlyB'], ['meta.version', 'changed']]);
  assert.deepEqual(View.bodyDiff(before, before).rows, []);
  assert.equal(View.bodyDiff('<html>', '{}').rows[0]!.path, '(body, not JSON)');
  const a = exchange('GET', 200, JSON.parse(before));
  const b = exchange('GET', 200, JSON.parse(after));
  const cmp = View.renderCompare(doc, { exchange: a, revealable: [] }, { exchange: b, revealable: [] });
  assert.match(has(cmp, 'compare-summary')[0]!.textContent, /request bodies: same · response bodies: 2 differences/);
  const table = has(cmp, 'body-diff')[0]!;
  assert.ok(table.textContent.includes('members[value=u0].value'));
  assert.equal(has(table, 'diff-changed').length, 1);
});

test('the probe: findings shown and notified; expected statuses not red, failures red', () => {
  const rows: ProbeRow[] = [
    { method: 'GET', url: 'u', keySent: 'header', customHeadersSent: [], customHeadersMissing: [], status: 404, answeredBy: 'backend', verdict: 'ok', detail: 'reached the SCIM service (404: no such group, as expected)', exchangeId: 'e1' },
    { method: 'PATCH', url: 'u', keySent: 'none', customHeadersSent: [], customHeadersMissing: [], status: 401, answeredBy: 'gateway', verdict: 'fail', detail: 'gateway rejected PATCH: subscription key missing', exchangeId: 'e2' },
  ];
  const findings = [{ severity: 'warning' as const, code: 'location.other-origin', message: 'responses point at another origin: 10.0.0.5:8080 (3 times), not at the gateway gw.example.com', fix: 'fix it', exchangeIds: ['e1'] }];
  const el = View.renderProbe(doc, { profile: 'dev', rows, findings });
  assert.deepEqual(has(el, 'p-status').map((td) => td.className), ['p-status p-expected', 'p-status s4xx p-bad']);
  const li = has(el, 'finding')[0]!;
  assert.match(li.textContent, /^responses point at another origin: 10\.0\.0\.5:8080 \(3 times\)/);
  assert.equal(li.attributes['data-exchange'], 'e1');
  assert.equal(probeNotification('dev', [...rows], findings), 'Probe dev: PATCH: gateway rejected PATCH: subscription key missing; responses point at another origin: 10.0.0.5:8080 (3 times), not at the gateway gw.example.com');
  assert.equal(probeNotification('dev', [rows[0]!], []), undefined);
  const profile = sandboxProfile({ gatewayUrl: GW, key: 'k', keyHeader: 'Ocp-Apim-Subscription-Key', keyQuery: 'subscription-key' });
  const text = formatProbe(profile, [rows[0]!], findings);
  assert.match(text, /^finding: responses point at another origin: 10\.0\.0\.5:8080 \(3 times\)/m);
  assert.match(text, /^ {2}fix: fix it$/m);
  assert.match(text, /^probe: ok with warnings, 1 finding$/m);
});

test('discover output names the RFC 7643 defaults used', () => {
  const profile = sandboxProfile({ gatewayUrl: GW, key: 'k', keyHeader: 'Ocp-Apim-Subscription-Key', keyQuery: 'subscription-key' });
  const text = formatDiscovery(profile, {
    serviceProviderConfig: {}, schemas: [],
    resourceTypes: [{ id: 'User', name: 'User', endpoint: 'Users', schema: 'urn:ietf:params:scim:schemas:core:2.0:User' }],
    capabilities: { patch: true, etag: false, filter: true, filterSupport: 'unknown', sort: false, bulk: false, cursor: false, index: true },
    warnings: ['ResourceTypes not used (404 from the SCIM service): assumed User at /Users', 'something else'],
    defaults: [{ document: 'ResourceTypes', reason: '404 from the SCIM service', assumed: 'User at /Users' }],
  });
  assert.match(text, /^default: ResourceTypes not offered \(404 from the SCIM service\): assumed User at \/Users$/m);
  assert.match(text, /^warning: something else$/m);
  assert.doesNotMatch(text, /warning: ResourceTypes not used/);
});

test('a tree error entry opens its failing exchange in the trace; a later good page forgets it', () => {
  const rt = { id: 'User', name: 'User', endpoint: 'Users', schema: 'urn:ietf:params:scim:schemas:core:2.0:User' };
  const owner: ResourceTypeNode = { kind: 'resourceType', key: 'dev/Users', profile: 'dev', rt, paging: emptyPaging() };
  const err = new HttpStatusError('scim', 500, 'GET /scim/v2/Users answered 500', { exchangeId: 'ex42' });
  failPage(owner.paging, err, failureLine(err), undefined);
  const msg = childrenWithMore(owner, []).find((x) => x.kind === 'message' && x.severity === 'error')!;
  assert.equal(msg.kind === 'message' ? msg.exchangeId : undefined, 'ex42');
  const view = viewOf(msg);
  assert.deepEqual(view.command, { command: 'scim.showTrace', title: 'Show the failing exchange', arguments: ['ex42'] });
  // an error whose diagnosis names the exchange
  assert.equal(failingExchange({ diagnosis: { exchangeId: 'ex7' } }), 'ex7');
  assert.equal(failingExchange(new Error('x')), undefined);
  applyPage(owner.paging, [], { resources: [], totalResults: 0 }, undefined);
  assert.equal(owner.paging.errorExchange, undefined);
  const info = childrenWithMore(owner, []).find((x) => x.kind === 'message')!;
  assert.equal(viewOf(info).command, undefined);
});

test('the output channel line says where a server URL pointed', () => {
  const op = { title: 'Add', profile: 'dev' };
  assert.match(exchangeLogLine(op, exchange('GET', 200, {}, { location: rewritten })), /server URL on 10\.0\.0\.5:8080 rewritten onto the gateway/);
  assert.match(exchangeLogLine(op, exchange('PUT', 401, '', { location: followed })), /sent to 10\.0\.0\.5:8080 without credentials \(locations: follow\)/);
  assert.match(exchangeLogLine(op, exchange('GET', 404, '', { expected: 'probe' })), /, expected\)$/);
});

test('the new marks, notes, findings and body diffs keep hostile server strings as text', () => {
  const P = '<img src=x onerror=alert(1)> "><svg onload=alert(2)>';
  const created: string[] = [];
  const d = { createElement: (tag: string) => { created.push(tag.toLowerCase()); return new FakeEl(tag); } };
  const loc = { policy: 'rewrite' as const, from: `http://${P}/scim/v2/Groups/1`, to: `${GW}/Groups/1`, credentialsWithheld: false };
  const ex = exchange('GET', 404, { id: P, members: [{ value: P }] }, { location: loc, expected: `expected ${P}` });
  ex.response!.answeredWhy = `why ${P}`;
  const op: Operation = { id: 'op1', title: P, profile: P, state: 'ok', startedAt: 0, exchanges: [ex] };
  const els = [
    View.renderRow(d, { kind: 'ex', id: ex.id, ex: exRow(ex), op: opRow(op) }, 0, { focusIndex: 0 }),
    View.renderRow(d, { kind: 'op', id: 'op1', op: opRow(op), count: 1 }, 0, { focusIndex: 0 }),
    View.renderExchange(d, { exchange: ex, revealable: [] }, true),
    View.renderCompare(d, { exchange: ex, revealable: [] }, { exchange: exchange('GET', 200, { id: 'x', note: P }), revealable: [] }),
    View.renderProbe(d, { profile: P, rows: [], findings: [{ severity: 'warning', code: 'c', message: `msg ${P}`, fix: `fix ${P}`, exchangeIds: [P] }] }),
  ];
  const SAFE = new Set(['div', 'span', 'table', 'tr', 'td', 'th', 'pre', 'h3', 'strong', 'button', 'ul', 'li']);
  for (const tag of created) assert.ok(SAFE.has(tag), `unexpected <${tag}>`);
  for (const el of els) for (const e of el.all()) for (const k of Object.keys(e.attributes)) assert.doesNotMatch(k, /^on/i);
  const text = els.map((e) => e.textContent).join('\n');
  for (const s of [`why ${P}`, `expected ${P}`, `msg ${P}`, `fix ${P}`]) assert.ok(text.includes(s), s);
});
