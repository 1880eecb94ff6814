// The trace's two budgets: the exchange cap (oldest finished operations dropped first, never a running one)
// and the body budget (oldest bodies dropped first, the exchanges themselves kept).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Trace, type Exchange, type Operation, type TraceEvent } from '../../src/core/trace';
import { toHar } from '../../src/core/http/har';
import { toCurl } from '../../src/core/http/curl';
import type { Profile } from '../../src/core/profile';

function add(trace: Trace, op: Operation, body = 0, reqBody = 0): Exchange {
  const ex = trace.addExchange(op, {
    state: 'pending', attempt: 1, keySentAs: 'header', warnings: [], timings: { start: Date.now() },
    request: {
      method: reqBody ? 'PATCH' : 'GET', url: 'https://gw.test/scim/v2/Users', line: 'GET /scim/v2/Users HTTP/1.1', headers: [], wire: true,
      bodySize: reqBody, ...(reqBody ? { body: 'q'.repeat(reqBody) } : {}),
    },
  });
  ex.response = { status: 200, statusText: 'OK', headers: [], bodySize: body, truncated: false, answeredBy: 'backend', ...(body ? { body: 'r'.repeat(body) } : {}) };
  ex.state = 'done';
  trace.touchExchange(ex);
  return ex;
}

test('exchange cap: the oldest finished operations go first, a running one never, and the panel is told', () => {
  const trace = new Trace({ maxExchanges: 10 });
  const events: TraceEvent[] = [];
  trace.onEvent((e) => events.push(e));
  const running = trace.startOperation('long', 'p');
  for (let i = 0; i < 4; i++) add(trace, running);
  const done: Operation[] = [];
  for (let k = 0; k < 6; k++) {
    const op = trace.startOperation(`op ${k}`, 'p');
    add(trace, op);
    add(trace, op);
    trace.endOperation(op, 'ok');
    done.push(op);
  }
  assert.ok(trace.size <= 10, `size ${trace.size}`);
  assert.ok(trace.operation(running.id), 'the running operation is kept, though it is the oldest');
  assert.equal(running.exchanges.length, 4);
  assert.equal(trace.operation(done[0]!.id), undefined, 'the oldest finished one is gone');
  assert.ok(trace.operation(done[5]!.id), 'the newest is kept');
  const dropped = events.filter((e): e is Extract<TraceEvent, { type: 'dropped' }> => e.type === 'dropped').flatMap((e) => e.operationIds);
  assert.deepEqual(dropped, done.slice(0, dropped.length).map((o) => o.id), 'dropped oldest first, in order');
  // a running operation over the cap on its own stays whole
  for (let i = 0; i < 20; i++) add(trace, running);
  assert.equal(running.exchanges.length, 24);
  assert.ok(trace.operation(running.id));
});

test('body budget: the oldest bodies are dropped first, the exchanges stay, the held size never passes the budget', () => {
  const trace = new Trace({ maxBodyChars: 10_000 });
  const op = trace.startOperation('list', 'p');
  const exs: Exchange[] = [];
  for (let i = 0; i < 10; i++) {
    exs.push(add(trace, op, 2_000));
    assert.ok(trace.bodySize <= 10_000, `held ${trace.bodySize}`);
  }
  assert.equal(op.exchanges.length, 10, 'every exchange is still there');
  const dropped = exs.filter((e) => e.bodiesDropped);
  assert.deepEqual(dropped, exs.slice(0, 5), 'the five oldest lost their bodies');
  for (const e of dropped) {
    assert.equal(e.response?.body, undefined);
    assert.equal(e.response?.status, 200, 'status, headers and timings stay');
  }
  for (const e of exs.slice(5)) assert.equal(e.response?.body?.length, 2_000);
  assert.equal(trace.bodySize, 10_000);
  // a dropped operation gives its bodies back
  trace.endOperation(op, 'ok');
  trace.clear();
  assert.equal(trace.bodySize, 0);
});

test('a dropped body is said so in HAR and curl, not passed off as empty', () => {
  const trace = new Trace({ maxBodyChars: 100 });
  const op = trace.startOperation('write', 'p');
  const first = add(trace, op, 80, 60);
  add(trace, op, 80);
  assert.equal(first.bodiesDropped, true);
  const har = toHar([op]);
  const entry = har.log.entries[0]!;
  assert.match(entry.response.content.comment ?? '', /no longer in the trace/);
  assert.equal(entry.response.content.text, undefined);
  const profile = {
    name: 'p', baseUrl: 'https://gw.test/scim/v2', auth: { type: 'none' }, headers: {}, secretHeaders: [],
    gateway: { header: 'Ocp-Apim-Subscription-Key', query: 'subscription-key', sendAs: 'header' },
    writes: 'auto', locations: 'rewrite', provider: 'generic', timeoutMs: 1000, pageSize: 100, concurrency: 1,
    maxOperationsPerPatch: 100, tls: { insecure: false },
  } satisfies Profile;
  assert.match(toCurl(first, profile), /# the request body \(60 bytes sent\) is no longer in the trace/);
});

test('body budget: an exchange still in flight keeps its request body; a response just in counts as the newest', () => {
  const trace = new Trace({ maxBodyChars: 1_000 });
  const op = trace.startOperation('write', 'p');
  const pending = trace.addExchange(op, {
    state: 'pending', attempt: 1, keySentAs: 'header', warnings: [], timings: { start: Date.now() },
    request: { method: 'PATCH', url: 'https://gw.test/scim/v2/Groups/g', line: 'PATCH /scim/v2/Groups/g HTTP/1.1', headers: [], wire: true, bodySize: 300, body: 'p'.repeat(300) },
  });
  const pages = [1, 2, 3, 4].map(() => add(trace, op, 300));
  assert.equal(pending.request.body?.length, 300, 'not dropped while in flight');
  assert.equal(pending.bodiesDropped, undefined);
  assert.ok(trace.bodySize <= 1_000);
  assert.ok(pages[0]!.bodiesDropped, 'the oldest finished body went instead');
  // its answer arrives: now the newest body, so the next to go are older ones
  pending.response = { status: 200, statusText: 'OK', headers: [], bodySize: 100, truncated: false, answeredBy: 'backend', body: 'r'.repeat(100) };
  pending.state = 'done';
  trace.touchExchange(pending);
  add(trace, op, 300);
  assert.equal(pending.request.body?.length, 300, 'kept: filled most recently');
  assert.ok(trace.bodySize <= 1_000);
});

test('clear keeps running operations, their count and bodies: the cap and the budget stay right afterwards', () => {
  const trace = new Trace({ maxExchanges: 3, maxBodyChars: 10_000 });
  const events: TraceEvent[] = [];
  const running = trace.startOperation('long', 'p');
  add(trace, running, 100);
  const done = trace.startOperation('short', 'p');
  add(trace, done, 100);
  trace.endOperation(done, 'ok');
  trace.onEvent((e) => events.push(e));
  trace.clear();
  assert.deepEqual(trace.operations().map((o) => o.id), [running.id], 'the running one stays');
  assert.equal(trace.size, 1);
  assert.equal(trace.bodySize, 100);
  assert.deepEqual(events.map((e) => e.type), ['cleared', 'operation', 'exchange'], 'and is announced again after cleared');
  const next = trace.startOperation('next', 'p');
  add(trace, next);
  trace.endOperation(next, 'ok');
  assert.ok(trace.operation(next.id), 'a new finished operation is not dropped for exchanges that are gone');
});
