// The request pipeline over real sockets, against the echo server: the invariant (key, headers and auth on
// every request of every method, credentials only to the profile's origin), the wire trace's fidelity, the
// location policy, redirects, retries, timeouts, cancellation and masking.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'undici';
import { Pipeline, type PipelineOptions } from '../../src/core/http/pipeline';
import { toHar } from '../../src/core/http/har';
import { toCurl } from '../../src/core/http/curl';
import { Trace, type Exchange, type Operation } from '../../src/core/trace';
import { ScimxError } from '../../src/core/errors';
import type { HttpMethod, WaitNotice } from '../../src/core/http/types';
import type { Profile } from '../../src/core/profile';
import { startEchoServer, json, text, redirect, reset, hang, type EchoServer, type Received } from '../helpers/echo-server';
import { TestClock } from '../helpers/clock';

const KEY = 'key-0123456789abcdef0123456789ab';
const PASSWORD = 'pa55-w0rd-that-is-long';
const SECRET_HEADER = 'secret-header-value-9876';
const BASIC = Buffer.from(`svc-scim:${PASSWORD}`).toString('base64');

const servers: EchoServer[] = [];
const pipelines: Pipeline[] = [];
after(async () => {
  await Promise.all(pipelines.map((p) => p.close()));
  await Promise.all(servers.map((s) => s.close()));
});

async function server(): Promise<EchoServer> {
  const s = await startEchoServer();
  servers.push(s);
  return s;
}

function makeProfile(origin: string, patch: Partial<Profile> = {}, gateway: Partial<Profile['gateway']> = {}): Profile {
  return {
    name: 'test',
    baseUrl: `${origin}/scim/v2`,
    auth: { type: 'basic', username: 'svc-scim', password: PASSWORD },
    gateway: { subscriptionKey: KEY, header: 'Ocp-Apim-Subscription-Key', query: 'subscription-key', sendAs: 'header', ...gateway },
    headers: { 'X-Request-Source': 'scim-explorer', 'X-Secret': SECRET_HEADER },
    secretHeaders: ['x-secret'],
    writes: 'auto', locations: 'rewrite', provider: 'generic', timeoutMs: 5000,
    pageSize: 100, concurrency: 4, maxOperationsPerPatch: 100, tls: { insecure: false },
    ...patch,
  };
}

function setup(profile: Profile, opts: Partial<PipelineOptions> = {}, trace = new Trace()): { p: Pipeline; trace: Trace; op: Operation; waits: WaitNotice[] } {
  const waits: WaitNotice[] = [];
  const p = new Pipeline(profile, { trace, onWait: (n) => waits.push(n), ...opts });
  pipelines.push(p);
  return { p, trace, op: trace.startOperation('test', profile.name), waits };
}

function h(r: Received, name: string): string | undefined {
  return r.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
}

/** Trace fidelity: the traced request line and full header list (revealed) equal what the server received. */
function assertFidelity(trace: Trace, exchanges: Exchange[], received: Received[]): void {
  assert.equal(exchanges.length, received.length, 'one exchange per request received');
  exchanges.forEach((ex, n) => {
    const got = received[n];
    assert.ok(got);
    assert.equal(ex.request.wire, true, 'headers from the wire');
    const revealed = ex.request.headers.map(([name, v], i) => [name, trace.reveal(ex.id, i) ?? v]);
    assert.deepEqual(revealed, got.headers, `headers of exchange ${n + 1}`);
    const [method, target] = ex.request.line.split(' ');
    assert.equal(method, got.method);
    const unmaskedTarget = (target ?? '').replace(/subscription-key=[^&]*/, `subscription-key=${encodeURIComponent(KEY)}`)
      .replace(/gw-code=[^&]*/, `gw-code=${encodeURIComponent(KEY)}`);
    assert.equal(unmaskedTarget, got.url, `request target of exchange ${n + 1}`);
  });
}

function assertNoRawSecret(serialized: string, extra: string[] = []): void {
  for (const s of [KEY, PASSWORD, SECRET_HEADER, BASIC, encodeURIComponent(KEY), ...extra]) {
    assert.ok(!serialized.includes(s), `raw secret ${s.slice(0, 6)}… found`);
  }
}

const METHODS: HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

test('every method carries the key, the extra headers, auth, Accept, Content-Type and User-Agent', async () => {
  const s = await server();
  const { p, trace, op } = setup(makeProfile(s.origin));
  for (const method of METHODS) {
    const withBody = method === 'POST' || method === 'PUT' || method === 'PATCH';
    const res = await p.send(op, { method, url: 'Groups/1', body: withBody ? { a: 1 } : undefined, headers: { 'If-Match': 'W/"1"' } });
    assert.equal(res.status, 200);
  }
  assert.equal(s.received.length, METHODS.length);
  for (const r of s.received) {
    assert.equal(h(r, 'Ocp-Apim-Subscription-Key'), KEY, r.method);
    assert.equal(h(r, 'X-Request-Source'), 'scim-explorer', r.method);
    assert.equal(h(r, 'X-Secret'), SECRET_HEADER, r.method);
    assert.equal(h(r, 'Authorization'), `Basic ${BASIC}`, r.method);
    assert.equal(h(r, 'Accept'), 'application/scim+json, application/json');
    assert.equal(h(r, 'User-Agent'), 'scim-explorer/0.1.0 (+core)');
    assert.equal(h(r, 'If-Match'), 'W/"1"');
    assert.equal(h(r, 'Content-Type'), ['POST', 'PUT', 'PATCH'].includes(r.method) ? 'application/scim+json' : undefined);
    assert.equal(r.url, '/scim/v2/Groups/1');
  }
  assert.deepEqual(op.exchanges.map((e) => e.keySentAs), METHODS.map(() => 'header'));
  assertFidelity(trace, op.exchanges, s.received);
  assertNoRawSecret(JSON.stringify(trace.operations()));
});

test('sendAs query and both, with renamed names; per-request headers cannot override', async () => {
  for (const sendAs of ['query', 'both'] as const) {
    const s = await server();
    const { p, trace, op } = setup(makeProfile(s.origin, {}, { header: 'X-Gw-Key', query: 'gw-code', sendAs }));
    for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
      await p.send(op, {
        method, url: '/Users', query: { filter: 'userName eq "a b"', count: 2 }, body: method === 'PATCH' ? { x: 1 } : undefined,
        headers: { 'x-gw-key': 'evil', Authorization: 'Bearer evil', 'X-Request-Source': 'evil', 'X-Extra': 'ok' },
      });
    }
    for (const r of s.received) {
      const u = new URL(r.url, s.origin);
      assert.equal(u.searchParams.get('gw-code'), KEY);
      assert.equal(u.searchParams.get('filter'), 'userName eq "a b"');
      assert.equal(h(r, 'X-Gw-Key'), sendAs === 'both' ? KEY : undefined);
      assert.equal(h(r, 'Authorization'), `Basic ${BASIC}`);
      assert.equal(h(r, 'X-Request-Source'), 'scim-explorer');
      assert.equal(h(r, 'X-Extra'), 'ok');
      assert.equal(r.headers.filter(([n]) => n.toLowerCase() === 'authorization').length, 1);
    }
    assert.ok(op.exchanges.every((e) => e.keySentAs === sendAs));
    assert.ok(op.exchanges.every((e) => e.warnings.some((w) => /ignored/.test(w))));
    assert.ok(op.exchanges.every((e) => e.request.url.includes('gw-code=••••')));
    assertFidelity(trace, op.exchanges, s.received);
    assertNoRawSecret(JSON.stringify(trace.operations()));
  }
});

test('locations: rewrite maps a backend URL onto the gateway with credentials, and records it', async () => {
  const gw = await server();
  const backend = await server();
  const { p, op } = setup(makeProfile(gw.origin, {}, { sendAs: 'both' }));
  const res = await p.send(op, { method: 'PATCH', url: `${backend.origin}/scim/v2/Groups/7?subscription-key=stale`, fromServer: true, body: { a: 1 } });
  assert.equal(res.status, 200);
  assert.equal(backend.received.length, 0);
  assert.equal(gw.received.length, 1);
  const r = gw.received[0]!;
  assert.equal(r.url, `/scim/v2/Groups/7?subscription-key=${KEY}`);
  assert.equal(h(r, 'Ocp-Apim-Subscription-Key'), KEY);
  const ex = res.exchange;
  assert.equal(ex.location?.policy, 'rewrite');
  assert.equal(ex.location?.credentialsWithheld, false);
  assert.ok(ex.location?.from.startsWith(backend.origin));
  assert.ok(ex.warnings.some((w) => /rewritten/.test(w)));
});

test('locations: relative server URLs resolve against the base URL', async () => {
  const gw = await server();
  const { p, op } = setup(makeProfile(gw.origin));
  await p.send(op, { method: 'GET', url: 'Users/1', fromServer: true });
  await p.send(op, { method: 'GET', url: '/scim/v2/Users/2', fromServer: true });
  assert.deepEqual(gw.received.map((r) => r.url), ['/scim/v2/Users/1', '/scim/v2/Users/2']);
});

test('locations: follow sends no credentials to another origin; strict refuses', async () => {
  const gw = await server();
  const backend = await server();
  const { p, trace, op } = setup(makeProfile(gw.origin, { locations: 'follow' }, { sendAs: 'both' }));
  const res = await p.send(op, { method: 'GET', url: `${backend.origin}/scim/v2/Groups/7`, fromServer: true });
  assert.equal(res.status, 200);
  const r = backend.received[0]!;
  assert.equal(new URL(r.url, backend.origin).searchParams.get('subscription-key'), null);
  assert.equal(h(r, 'Ocp-Apim-Subscription-Key'), undefined);
  assert.equal(h(r, 'Authorization'), undefined);
  assert.equal(h(r, 'X-Secret'), undefined);
  assert.equal(h(r, 'X-Request-Source'), 'scim-explorer');
  assert.equal(res.exchange.location?.credentialsWithheld, true);
  assert.equal(res.exchange.keySentAs, 'none');
  assertFidelity(trace, op.exchanges, backend.received);

  const strict = setup(makeProfile(gw.origin, { locations: 'strict' }));
  await assert.rejects(strict.p.send(strict.op, { method: 'GET', url: `${backend.origin}/scim/v2/Groups/7`, fromServer: true }), (e: unknown) => {
    assert.ok(e instanceof ScimxError);
    assert.equal(e.code, 'location');
    assert.ok(e.message.includes(backend.origin) && e.message.includes(gw.origin), e.message);
    return true;
  });
  assert.equal(backend.received.length, 1);
});

test('redirects: each hop is an exchange; a hop to another origin carries no credentials', async () => {
  const gw = await server();
  const other = await server();
  const { p, trace, op } = setup(makeProfile(gw.origin, { locations: 'follow' }, { sendAs: 'both' }));
  gw.queue(redirect(307, '/scim/v2/Users/2'), redirect(302, `${other.origin}/scim/v2/Users/3`));
  const res = await p.send(op, { method: 'GET', url: 'Users/1' });
  assert.equal(res.status, 200);
  assert.equal(op.exchanges.length, 3);
  assert.equal(op.exchanges[1]!.redirectOf, op.exchanges[0]!.id);
  assert.equal(op.exchanges[2]!.redirectOf, op.exchanges[1]!.id);
  assert.deepEqual(gw.received.map((r) => r.url.split('?')[0]), ['/scim/v2/Users/1', '/scim/v2/Users/2']);
  assert.ok(gw.received.every((r) => h(r, 'Authorization') && h(r, 'Ocp-Apim-Subscription-Key') === KEY));
  const o = other.received[0]!;
  assert.equal(o.url, '/scim/v2/Users/3');
  assert.equal(h(o, 'Authorization'), undefined);
  assert.equal(h(o, 'Ocp-Apim-Subscription-Key'), undefined);
  assert.equal(h(o, 'X-Secret'), undefined);
  assertFidelity(trace, op.exchanges.slice(0, 2), gw.received);
  assertFidelity(trace, op.exchanges.slice(2), other.received);
});

test('redirects: rewrite maps a cross-origin redirect onto the gateway; loops and too many hops stop', async () => {
  const gw = await server();
  const other = await server();
  const { p, op } = setup(makeProfile(gw.origin));
  gw.queue(redirect(302, `${other.origin}/scim/v2/Users/9`));
  await p.send(op, { method: 'GET', url: 'Users/1' });
  assert.equal(other.received.length, 0);
  assert.equal(gw.received[1]?.url, '/scim/v2/Users/9');
  assert.equal(h(gw.received[1]!, 'Authorization'), `Basic ${BASIC}`);

  gw.queue(redirect(302, '/scim/v2/Users/b'), redirect(302, '/scim/v2/Users/a'));
  await assert.rejects(p.send(op, { method: 'GET', url: 'Users/a' }), (e: unknown) => e instanceof ScimxError && e.code === 'location' && /loop/i.test(e.message));
  let i = 0;
  gw.setDefault((req, res) => redirect(302, `/scim/v2/Hop/${++i}`)(req, res, undefined as never));
  await assert.rejects(p.send(op, { method: 'GET', url: 'Users/x' }), (e: unknown) => e instanceof ScimxError && e.code === 'location' && /5 redirects/.test(e.message));
});

test('retries: 429 with Retry-After waits (onWait), then succeeds; each attempt traced', async () => {
  const s = await server();
  const clock = new TestClock();
  const { p, trace, op, waits } = setup(makeProfile(s.origin, {}, { sendAs: 'both' }), { clock });
  s.queue(json(429, { statusCode: 429, message: 'Rate limit is exceeded. Try again in 1 seconds.' }, { 'Retry-After': '1' }, 'application/json'));
  const res = await p.send(op, { method: 'GET', url: 'Users' });
  assert.equal(res.status, 200);
  assert.equal(waits.length, 1);
  assert.equal(waits[0]!.ms, 1000);
  assert.deepEqual(clock.slept, [1000], 'the 1 s the gateway asked for was waited, once');
  assert.equal(waits[0]!.operation, op);
  assert.equal(op.exchanges.length, 2);
  const [first, second] = op.exchanges;
  assert.equal(first!.response?.status, 429);
  assert.equal(first!.response?.answeredBy, 'gateway');
  assert.match(first!.response?.body ?? '', /Rate limit/);
  assert.equal(second!.attempt, 2);
  assert.equal(second!.retryOf, first!.id);
  assert.equal(second!.timings.waited, 1000);
  assert.equal(res.bytesSent > 0 && res.bytesReceived > 0, true);
  assertFidelity(trace, op.exchanges, s.received);
});

test('retries: a Retry-After longer than the limit fails with how long the gateway asked to wait', async () => {
  const s = await server();
  const { p, op } = setup(makeProfile(s.origin), { maxRetryAfterMs: 5000 });
  s.queue(json(429, { statusCode: 429, message: 'Rate limit' }, { 'Retry-After': '120' }));
  await assert.rejects(p.send(op, { method: 'GET', url: 'Users' }), (e: unknown) => {
    assert.ok(e instanceof ScimxError);
    assert.match(e.message, /asked to wait 120 s/);
    assert.equal(e.exchangeId, op.exchanges[0]!.id);
    return true;
  });
});

test('retries: the wait notice says when the wait ends, and its cancel() stops the wait at once (nothing more is sent)', async () => {
  const s = await server();
  const { p, op, waits } = setup(makeProfile(s.origin), {
    onWait: (n) => { waits.push(n); setTimeout(() => n.cancel(), 50); },
  });
  s.queue(json(429, { statusCode: 429, message: 'Rate limit is exceeded. Try again in 30 seconds.' }, { 'Retry-After': '30' }, 'application/json'));
  const controller = new AbortController();
  const t0 = Date.now();
  await assert.rejects(p.send(op, { method: 'GET', url: 'Users', signal: controller.signal }), (e: unknown) => {
    assert.ok(e instanceof ScimxError && e.code === 'cancelled', String(e));
    return true;
  });
  assert.ok(Date.now() - t0 < 5_000, `cancelled long before the 30 s Retry-After (${Date.now() - t0} ms)`);
  assert.equal(waits.length, 1);
  assert.equal(waits[0]!.ms, 30_000);
  assert.ok(Math.abs(waits[0]!.until - (t0 + 30_000)) < 2_000, 'until = when the wait would end');
  assert.equal(waits[0]!.reason, '429 Retry-After');
  assert.equal(waits[0]!.signal, controller.signal, 'the request\'s own signal, so a UI can find its progress');
  assert.equal(s.received.length, 1, 'no second attempt');
  assert.equal(controller.signal.aborted, false, 'the caller\'s signal is not aborted by a cancelled wait');
});

test('retries: a write is not re-sent on 503 nor on a dropped connection', async () => {
  const s = await server();
  const { p, op, waits } = setup(makeProfile(s.origin));
  s.queue(text(503, 'unavailable'));
  const res = await p.send(op, { method: 'POST', url: 'Users', body: { userName: 'x' } });
  assert.equal(res.status, 503);
  assert.equal(res.json, undefined);
  assert.equal(res.text, 'unavailable');
  assert.equal(s.received.length, 1);

  s.queue(reset);
  await assert.rejects(p.send(op, { method: 'PATCH', url: 'Groups/1', body: { a: 1 } }), (e: unknown) => {
    assert.ok(e instanceof ScimxError);
    assert.equal(e.code, 'network');
    assert.match(e.message, /outcome is unknown/);
    return true;
  });
  assert.equal(s.received.length, 2);
  assert.equal(waits.length, 0);
});

test('retries: a read is retried after a dropped connection and a 503', async () => {
  const s = await server();
  const clock = new TestClock();
  const { p, trace, op, waits } = setup(makeProfile(s.origin), { clock });
  s.queue(reset, text(503, 'busy'));
  const res = await p.send(op, { method: 'GET', url: 'Users' });
  assert.equal(res.status, 200);
  assert.equal(s.received.length, 3);
  assert.equal(waits.length, 2);
  assert.deepEqual(clock.slept, waits.map((w) => w.ms), 'each backoff announced was waited');
  assert.equal(op.exchanges.length, 3);
  assert.equal(op.exchanges[0]!.state, 'failed');
  assertFidelity(trace, op.exchanges, s.received);
});

test('timeout and cancellation give clear errors', async () => {
  const s = await server();
  s.setDefault(hang);
  const { p, op } = setup(makeProfile(s.origin, { timeoutMs: 300 }), { maxRetries: 0 });
  await assert.rejects(p.send(op, { method: 'GET', url: 'Users' }), (e: unknown) => {
    assert.ok(e instanceof ScimxError);
    assert.equal(e.code, 'timeout');
    assert.ok(e.message.includes(`${s.origin}/scim/v2/Users`) && e.message.includes('300 ms'), e.message);
    return true;
  });
  const c = setup(makeProfile(s.origin, { timeoutMs: 10_000 }));
  const ac = new AbortController();
  const pending = c.p.send(c.op, { method: 'GET', url: 'Users', signal: ac.signal });
  setTimeout(() => ac.abort(), 100);
  await assert.rejects(pending, (e: unknown) => e instanceof ScimxError && e.code === 'cancelled');
  assert.equal(c.op.exchanges[0]?.state, 'failed');

  // Cancel while waiting for a Retry-After.
  const s2 = await server();
  s2.queue(json(429, { statusCode: 429, message: 'x' }, { 'Retry-After': '30' }));
  const ac2 = new AbortController();
  const w = setup(makeProfile(s2.origin), { onWait: () => ac2.abort() });
  await assert.rejects(w.p.send(w.op, { method: 'GET', url: 'Users', signal: ac2.signal }), (e: unknown) => e instanceof ScimxError && e.code === 'cancelled');
  assert.equal(s2.received.length, 1);
});

test('connection refused is a network error naming the URL (socket never reached: wire=false)', async () => {
  const s = await server();
  const origin = s.origin;
  await s.close();
  servers.splice(servers.indexOf(s), 1);
  const { p, op } = setup(makeProfile(origin));
  await assert.rejects(p.send(op, { method: 'GET', url: 'Users' }), (e: unknown) => e instanceof ScimxError && e.code === 'network' && e.message.includes(origin) && /refused/.test(e.message));
  const ex = op.exchanges[0]!;
  assert.equal(ex.request.wire, false);
  assert.equal(ex.state, 'failed');
  assert.ok(ex.request.headers.some(([n, v]) => n === 'Ocp-Apim-Subscription-Key' && v.startsWith('••••')));
});

test('bodies are capped in the trace, full in the response; invalid JSON keeps the text', async () => {
  const s = await server();
  const { p, op } = setup(makeProfile(s.origin), {}, new Trace({ bodyCap: 100 }));
  const big = JSON.stringify({ schemas: ['x'], data: 'y'.repeat(1000) });
  s.queue(json(200, big), (_q, res) => {
    res.writeHead(200, { 'Content-Type': 'application/scim+json' });
    res.end('{not json');
  });
  const res = await p.send(op, { method: 'POST', url: 'Users', body: { data: 'z'.repeat(500) } });
  assert.equal(res.text, big);
  assert.deepEqual((res.json as { data: string }).data.length, 1000);
  const ex = res.exchange;
  assert.equal(ex.response?.body?.length, 100);
  assert.equal(ex.response?.truncated, true);
  assert.equal(ex.response?.bodySize, Buffer.byteLength(big));
  assert.equal(ex.request.body?.length, 100);
  assert.equal(ex.request.bodySize, Buffer.byteLength(JSON.stringify({ data: 'z'.repeat(500) })));
  const bad = await p.send(op, { method: 'GET', url: 'Users' });
  assert.equal(bad.json, undefined);
  assert.equal(bad.text, '{not json');
});

test('an answer larger than maxResponseMB stops being read, fast, with a clear message (announced or streamed without end)', async () => {
  const s = await server();
  const { p, op } = setup(makeProfile(s.origin, { maxResponseMB: 1, timeoutMs: 20_000 }));
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let streamed = 0;
  s.queue(
    // announced: content-length says 2 GiB (nothing that big is ever sent)
    (_q, res) => {
      res.writeHead(200, { 'Content-Type': 'application/scim+json', 'Content-Length': String(2 * 1024 ** 3) });
      res.write(chunk);
    },
    // streamed: chunked, never ends
    (_q, res) => {
      res.writeHead(200, { 'Content-Type': 'application/scim+json' });
      const pump = (): void => {
        while (!res.destroyed && streamed < 512 * 1024 * 1024) {
          streamed += chunk.length;
          if (!res.write(chunk)) { res.once('drain', pump); return; }
        }
      };
      pump();
    },
  );
  const t0 = Date.now();
  await assert.rejects(p.send(op, { method: 'GET', url: 'Users' }), (e: unknown) => {
    assert.ok(e instanceof ScimxError && e.code === 'response', String(e));
    assert.match(e.message, /^The answer to GET http:\/\/127\.0\.0\.1:\d+\/scim\/v2\/Users is larger than 1\.0 MiB \(2048 MiB announced by content-length\); stopped reading it\.$/);
    assert.match(e.hint ?? '', /maxResponseMB/);
    return true;
  });
  await assert.rejects(p.send(op, { method: 'GET', url: 'Groups' }), (e: unknown) => {
    assert.ok(e instanceof ScimxError && e.code === 'response', String(e));
    assert.match(e.message, /is larger than 1\.0 MiB \(1\.\d MiB read\); stopped reading it\./);
    return true;
  });
  assert.ok(Date.now() - t0 < 10_000, `both stopped well before the 20 s timeout (${Date.now() - t0} ms)`);
  assert.ok(streamed < 64 * 1024 * 1024, `the endless answer was cut off early (${streamed} bytes written by the server)`);
  const [a, b] = op.exchanges;
  assert.equal(a?.state, 'failed');
  assert.equal(b?.error?.code, 'response');
  assert.equal(a?.response?.status, 200, 'the status and headers that did arrive are kept in the trace');
});

test('a secret straddling the body cap is masked in what the trace keeps; far past the cap it is not scanned', async () => {
  const s = await server();
  const { p, op } = setup(makeProfile(s.origin), {}, new Trace({ bodyCap: 100 }));
  // The key starts 2 characters before the cap, then 200 KB of padding (only the kept window is masked).
  const body = JSON.stringify({ a: 'x'.repeat(100 - 8 - 2), echoed: KEY, pad: 'p'.repeat(200_000) });
  s.queue(json(200, body));
  const res = await p.send(op, { method: 'GET', url: 'Users' });
  assert.equal(res.text, body);
  const kept = res.exchange.response?.body ?? '';
  assert.equal(kept.length, 100);
  assert.ok(!kept.includes(KEY.slice(0, 2)), 'no raw start of the key at the cut');
  assertNoRawSecret(JSON.stringify(op));
});

test('OAuth2: the token request carries only client credentials; the token is cached and masked', async () => {
  const gw = await server();
  const idp = await server();
  const TOKEN = 'eyJ-access-token-abcdefghijklmnop';
  let tokens = 0;
  idp.setDefault((req, res) => {
    tokens += 1;
    json(200, { access_token: TOKEN, token_type: 'Bearer', expires_in: 3600 }, {}, 'application/json')(req, res, undefined as never);
  });
  gw.setDefault((req, res) => json(200, { schemas: ['x'], echoed: h(req, 'Authorization') })(req, res, undefined as never));
  const profile = makeProfile(gw.origin, { auth: { type: 'oauth2', tokenUrl: `${idp.origin}/oauth2/token`, clientId: 'cid', clientSecret: 'client-secret-value-123', scope: 'scim' } }, { sendAs: 'both' });
  const { p, trace, op } = setup(profile);
  await Promise.all([p.send(op, { method: 'GET', url: 'Users' }), p.send(op, { method: 'GET', url: 'Groups' })]);
  await p.send(op, { method: 'PATCH', url: 'Groups/1', body: {} });
  assert.equal(tokens, 1);
  const t = idp.received[0]!;
  assert.equal(t.method, 'POST');
  assert.equal(t.url, '/oauth2/token');
  assert.equal(h(t, 'Ocp-Apim-Subscription-Key'), undefined);
  assert.equal(h(t, 'X-Secret'), undefined);
  assert.equal(h(t, 'X-Request-Source'), undefined);
  assert.equal(h(t, 'Authorization'), undefined);
  const form = new URLSearchParams(t.body);
  assert.equal(form.get('grant_type'), 'client_credentials');
  assert.equal(form.get('client_secret'), 'client-secret-value-123');
  for (const r of gw.received) assert.equal(h(r, 'Authorization'), `Bearer ${TOKEN}`);
  const serialized = JSON.stringify(trace.operations());
  assertNoRawSecret(serialized, [TOKEN, 'client-secret-value-123']);
});

test('correlation: concurrent requests each get their own wire trace; foreign undici requests are ignored', async () => {
  const s = await server();
  s.setDefault((req, res) => {
    setTimeout(() => json(200, { schemas: ['x'], url: req.url })(req, res, undefined as never), 20);
  });
  // One connection: requests queue, and a queued request's head is written from the previous one's socket
  // callback (another async context). Its trace must still be its own.
  const { p, trace, op } = setup(makeProfile(s.origin), { connections: 1 });
  const foreign = new Agent({ connections: 1 });
  const paths = ['a', 'b', 'c', 'd', 'e', 'f'];
  await Promise.all([
    ...paths.map((x) => p.send(op, { method: 'GET', url: `Users/${x}` })),
    ...[1, 2].map(async (i) => {
      const r = await foreign.request({ origin: s.origin, path: `/foreign/${i}`, method: 'GET' });
      await r.body.text();
    }),
  ]);
  await foreign.close();
  assert.equal(op.exchanges.length, paths.length);
  for (const ex of op.exchanges) {
    assert.equal(ex.request.wire, true);
    const target = ex.request.line.split(' ')[1];
    assert.match(ex.response?.body ?? '', new RegExp(`"url":"${target}"`));
  }
  const ours = s.received.filter((r) => !r.url.startsWith('/foreign'));
  const byUrl = new Map(op.exchanges.map((e) => [e.request.line.split(' ')[1], e]));
  for (const r of ours) assertFidelity(trace, [byUrl.get(r.url)!], [r]);
});

test('no raw secret in the trace, HAR or curl, even when the server echoes them', async () => {
  const s = await server();
  s.setDefault((req, res) => {
    res.writeHead(401, { 'Content-Type': 'application/json', 'Set-Cookie': `session=${KEY}; HttpOnly`, 'X-Echo-Key': KEY });
    res.end(JSON.stringify({ statusCode: 401, message: `bad key ${KEY} ${h(req, 'Authorization')} ${req.url}` }));
  });
  const { p, trace, op } = setup(makeProfile(s.origin, {}, { sendAs: 'both' }));
  const res = await p.send(op, { method: 'PATCH', url: 'Groups/1', body: { password: PASSWORD, note: SECRET_HEADER } });
  assert.equal(res.status, 401);
  assert.equal(res.exchange.response?.answeredBy, 'gateway');
  const all = JSON.stringify(trace.operations()) + JSON.stringify(toHar(trace.operations())) +
    trace.operations().flatMap((o) => o.exchanges).map((e) => toCurl(e, p.profile)).join('\n');
  assertNoRawSecret(all);
  assert.equal(trace.reveal(res.exchange.id, res.exchange.request.headers.findIndex(([n]) => n === 'Ocp-Apim-Subscription-Key')), KEY);
  assert.ok(p.stats.requests >= 1 && p.stats.bytesSent > 0 && p.stats.bytesReceived > 0);
});
