// Property-based test of the whole pipeline (issue 10): fast-check generates server behaviours (status,
// headers, bodies, paging, redirects, server-provided URLs, timing, control characters) for a scripted server
// on 127.0.0.1, and the real CLI runs against it, in-process. A second server on another origin stands for
// "somewhere else". Invariants, for every case:
//   - no credential leaves the profile's origin, and none goes outside its base path (but the token endpoint);
//   - no secret (gateway key, password, basic credentials, client secret, the OAuth token learnt at run time)
//     appears unmasked in stdout, stderr or the HAR file, and no raw control character in stdout or stderr;
//   - every run ends within its time bound, with a clear message (no crash, no stack overflow), and the heap
//     stays under 256 MB.
// The number of cases and what they found are printed at the end (`fuzz-pipeline: N cases ...`).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { run } from '../../src/cli/run';
import { startEchoServer, type EchoServer, type Received } from '../helpers/echo-server';

const RUNS = Number(process.env.SCIMX_FUZZ_RUNS ?? 120);
const SEED = Number(process.env.SCIMX_FUZZ_SEED ?? 20261201);
const CASE_LIMIT_MS = 8000;
const HEAP_LIMIT = 256 * 1024 * 1024;

const FUZZ_KEY = 'fuzz-key-0123456789abcdef';
const FUZZ_PASSWORD = 'fuzz-password-0123456789';
const FUZZ_CLIENT_SECRET = 'fuzz-client-secret-0123456789';
const FUZZ_ACCESS_TOKEN = 'fuzz-access-token-eyJhbGciOiJIUzI1NiJ9.abcdef';
const BASIC = Buffer.from(`svc:${FUZZ_PASSWORD}`).toString('base64');
const FUZZ_TENANT_SECRET = 'tenant-0123456789';
const SECRETS = [FUZZ_KEY, FUZZ_PASSWORD, FUZZ_CLIENT_SECRET, FUZZ_ACCESS_TOKEN, BASIC, FUZZ_TENANT_SECRET];
const HOSTILE = '\u001b[2J\u009b31m\u202e\u0007';
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]/;

type BodyKind = 'echo' | 'resource' | 'list' | 'error' | 'gateway' | 'html' | 'garbage' | 'empty' | 'deep' | 'group';
interface Answer {
  /** `fit`: a well-formed answer to what was asked (with hostile details); `random`: anything below. */
  shape: 'fit' | 'random';
  status: number;
  contentType?: string;
  body: BodyKind;
  location?: string;
  retryAfter?: string;
  delayMs: number;
  controls: boolean;
  total: number | string;
  startIndex: number;
  count: number;
  cursor?: string;
  metaLocation: string;
  statusText?: string;
}
interface Scenario { profile: 'basic' | 'oauth'; policy: 'rewrite' | 'follow' | 'strict'; command: string[]; answers: Answer[] }

const urlChoice = fc.constantFrom('B/scim/v2/Users/u1', '../../admin/Users/u1', '/scim/v2/Users/u2', 'A/admin/Groups/g1', '//B/scim/v2/Users/u3',
  'A/scim/v2/%2e%2e/admin/x', 'Users/u4?subscription-key=stolen', 'javascript:alert(1)', 'B/scim/v2/Users/u1?subscription-key=x', 'A/scim/v2/Users/u5');
const answer: fc.Arbitrary<Answer> = fc.record({
  shape: fc.constantFrom<'fit' | 'random'>('fit', 'fit', 'random'),
  status: fc.constantFrom(200, 200, 200, 201, 204, 301, 302, 303, 307, 308, 400, 401, 403, 404, 409, 412, 429, 500, 502, 503),
  contentType: fc.option(fc.constantFrom('application/scim+json', 'application/json', 'text/html', 'text/plain', 'application/scim+json; charset=utf-8'), { nil: undefined }),
  body: fc.constantFrom<BodyKind>('echo', 'resource', 'list', 'list', 'error', 'gateway', 'html', 'garbage', 'empty', 'deep', 'group'),
  location: fc.option(urlChoice, { nil: undefined }),
  retryAfter: fc.option(fc.constantFrom('0', '999999', 'Wed, 21 Oct 2099 07:28:00 GMT'), { nil: undefined }),
  delayMs: fc.constantFrom(0, 0, 0, 3, 20),
  controls: fc.boolean(),
  total: fc.constantFrom<number | string>(0, 1, 3, 7, 1e12, 2 ** 53, 2 ** 60, -1, '5'),
  startIndex: fc.constantFrom(1, 1, 0, 3, 2 ** 53 - 1, 2 ** 53, -5),
  count: fc.integer({ min: 0, max: 4 }),
  cursor: fc.option(fc.constantFrom('c1', 'c2', 'same'), { nil: undefined }),
  metaLocation: urlChoice,
  statusText: fc.option(fc.constantFrom('OK', `Bad ${HOSTILE}`, 'Teapot'), { nil: undefined }),
});
const scenario: fc.Arbitrary<Scenario> = fc.record({
  profile: fc.constantFrom('basic', 'oauth'),
  policy: fc.constantFrom('rewrite', 'follow', 'strict'),
  command: fc.constantFrom(
    ['get', 'Users', 'u1'], ['--json', 'get', 'Users', 'u1'], ['list', 'Users'], ['--json', 'list', 'Users'],
    ['list', 'Users', '--all', '--max-pages', '20'], ['--json', 'list', 'Users', '--all', '--max-pages', '20'],
    ['discover'], ['members', 'add', 'g1', 'u1'], ['members', 'remove', 'g1', 'u1'], ['--curl', 'get', 'Users', 'u1'],
  ),
  answers: fc.array(answer, { minLength: 1, maxLength: 6 }),
});

let A: EchoServer;
let B: EchoServer;
let dir: string;
let current: Scenario | undefined;
let served = 0;
let ids = 0;
const stats = { cases: 0, exitCodes: new Map<number, number>(), requestsA: 0, requestsB: 0, maxMs: 0, maxHeapMB: 0, messages: new Map<string, number>() };

function resolveUrl(u: string): string {
  return u.replace(/^A\//, `${A.origin}/`).replace(/^B\//, `${B.origin}/`).replace(/^\/\/B\//, `//${B.origin.slice(7)}/`);
}

/** A well-formed answer to what was asked, with the hostile details of `a` (controls, echoed credentials,
 * server-provided URLs, paging numbers). */
function fitFor(a: Answer, req: Received): { status: number; body: string } {
  const path = req.url.split('?')[0]!.replace(/^\/scim\/v2/, '');
  const h = a.controls ? HOSTILE : '';
  if (path === '/ServiceProviderConfig') {
    return { status: 200, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'], patch: { supported: a.count % 2 === 0 }, etag: { supported: a.controls }, filter: { supported: a.count !== 3, maxResults: 50 }, pagination: { cursor: !!a.cursor, index: true } }) };
  }
  if (path === '/ResourceTypes') return { status: 200, body: JSON.stringify({ Resources: [{ id: 'User', name: `User${h}`, endpoint: '/Users', schema: 'urn:ietf:params:scim:schemas:core:2.0:User' }, { id: 'Group', name: 'Group', endpoint: '/Groups', schema: 'urn:ietf:params:scim:schemas:core:2.0:Group' }] }) };
  if (path === '/Schemas') return { status: 200, body: JSON.stringify({ Resources: [{ id: `urn:x${h}`, attributes: [] }] }) };
  if (req.method === 'PATCH' || req.method === 'PUT' || req.method === 'DELETE') return a.count === 0 ? { status: 204, body: '' } : { status: 200, body: bodyFor({ ...a, body: 'group' }, req) };
  if (path === '/Groups/g1') return { status: 200, body: bodyFor({ ...a, body: 'group' }, req) };
  if (path === '/Users' || path === '/Groups') return { status: 200, body: bodyFor({ ...a, body: 'list' }, req) };
  return { status: 200, body: bodyFor({ ...a, body: a.body === 'resource' ? 'resource' : 'echo' }, req) };
}

function bodyFor(a: Answer, req: Received): string {
  const h = a.controls ? HOSTILE : '';
  const id = () => `u${(ids += 1)}`;
  const meta = { location: resolveUrl(a.metaLocation), created: '2024-01-01T00:00:00Z', version: 'W/"1"' };
  switch (a.body) {
    case 'echo': return JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], id: 'u1', userName: `echo${h}`, url: req.url, headers: req.headers, body: req.body, meta });
    case 'resource': return JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], id: 'u1', userName: `user${h}`, displayName: req.headers.map(([, v]) => v).join(' '), meta });
    case 'group': return JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id: 'g1', displayName: `g${h}`, members: [{ value: 'u1', $ref: resolveUrl(a.metaLocation) }], meta });
    case 'list': return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":${typeof a.total === 'string' ? JSON.stringify(a.total) : a.total},"startIndex":${a.startIndex},"itemsPerPage":${a.count}${a.cursor ? `,"nextCursor":"${a.cursor === 'same' ? 'same' : `${a.cursor}-${served}`}"` : ''},"Resources":${JSON.stringify(Array.from({ length: a.count }, () => ({ id: id(), userName: `n${h}`, displayName: req.headers.find(([n]) => /authorization/i.test(n))?.[1] ?? '', meta })))}}`;
    case 'error': return JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: String(a.status), scimType: `bad${h}`, detail: `refused ${req.headers.map(([n, v]) => `${n}=${v}`).join('; ')}${h}` });
    case 'gateway': return JSON.stringify({ statusCode: a.status, message: `Access denied due to ${req.url}${h}` });
    case 'html': return `<html><head><title>Error ${h} ${req.headers.find(([n]) => /key/i.test(n))?.[1] ?? ''}</title></head><body>${req.url}</body></html>`;
    case 'garbage': return `${req.headers.map(([n, v]) => `${n}: ${v}`).join('\n')}${h}{{{`;
    case 'deep': return `{"id":"u1","x":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    default: return '';
  }
}

async function answerA(req: Received, res: http.ServerResponse): Promise<void> {
  if (req.url.startsWith('/oauth/token')) {
    const body = JSON.stringify({ access_token: FUZZ_ACCESS_TOKEN, token_type: 'Bearer', expires_in: 3600 });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  const s = current!;
  const a = s.answers[served % s.answers.length]!;
  served += 1;
  if (a.delayMs) await new Promise((r) => setTimeout(r, a.delayMs));
  if (a.shape === 'fit') {
    const fit = fitFor(a, req);
    res.writeHead(fit.status, { 'Content-Type': 'application/scim+json', 'Content-Length': Buffer.byteLength(fit.body) });
    res.end(fit.body);
    return;
  }
  let status = a.status;
  // writes are not retried by waiting (that is issue 10 finding 7, the membership rework's): keep them fast
  if (req.method !== 'GET' && [429, 502, 503, 504].includes(status)) status = 500;
  const headers: Record<string, string> = {};
  if (a.contentType) headers['Content-Type'] = a.contentType;
  if (a.location) headers.Location = resolveUrl(a.location);
  // a retryable status always says how long to wait (0, or too long: fail at once), so no case waits for backoff
  if ([429, 502, 503, 504].includes(status)) headers['Retry-After'] = a.retryAfter === '0' ? '0' : '999999';
  else if (a.retryAfter) headers['Retry-After'] = a.retryAfter;
  const body = status === 204 ? '' : bodyFor(a, req);
  headers['Content-Length'] = String(Buffer.byteLength(body));
  try {
    // eslint-disable-next-line no-control-regex -- a status text with a control character cannot be written
    res.writeHead(status, a.statusText && !/[\u0000-\u001f]/.test(a.statusText) ? a.statusText : undefined, headers);
  } catch {
    res.writeHead(status, headers);
  }
  res.end(body);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scimx-fuzz-'));
  A = await startEchoServer();
  B = await startEchoServer();
  A.setDefault((req, res) => answerA(req, res));
  B.setDefault((req, res) => { res.writeHead(200, { 'Content-Type': 'application/scim+json' }); res.end(JSON.stringify({ id: 'u1', schemas: [], headers: req.headers })); });
});

after(async () => {
  await A.close();
  await B.close();
  rmSync(dir, { recursive: true, force: true });
});

function profilesFile(s: Scenario): string {
  const common = `    baseUrl: ${A.origin}/scim/v2\n    locations: ${s.policy}\n    timeoutMs: 2000\n    gateway:\n      subscriptionKey: \${env:K}\n      sendAs: both\n    headers:\n      X-Tenant: \${env:T}\n`;
  return s.profile === 'basic'
    ? `profiles:\n  p:\n${common}    auth:\n      type: basic\n      username: svc\n      password: \${env:P}\n`
    : `profiles:\n  p:\n${common}    auth:\n      type: oauth2\n      tokenUrl: ${A.origin}/oauth/token\n      clientId: cli\n      clientSecret: \${env:C}\n`;
}

function forms(s: string): string[] {
  return [...new Set([s, encodeURIComponent(s), JSON.stringify(s).slice(1, -1)])];
}

function carriesCredentials(r: Received): string | undefined {
  const text = `${r.url}\n${r.headers.map(([n, v]) => `${n}: ${v}`).join('\n')}\n${r.body}`;
  for (const secret of SECRETS) for (const f of forms(secret)) if (text.includes(f)) return secret.slice(0, 6);
  if (r.headers.some(([n]) => /^(authorization|ocp-apim-subscription-key|x-tenant)$/i.test(n))) return 'a credential header';
  if (/[?&]subscription-key=/.test(r.url)) return 'the key parameter';
  return undefined;
}

test(`fuzz: generated server behaviours against the real pipeline (${RUNS} cases)`, async () => {
  const file = join(dir, 'scim-profiles.yaml');
  const har = join(dir, 'run.har');
  const env = { K: FUZZ_KEY, P: FUZZ_PASSWORD, C: FUZZ_CLIENT_SECRET, T: FUZZ_TENANT_SECRET };
  await fc.assert(fc.asyncProperty(scenario, async (s) => {
    current = s;
    served = 0;
    A.received.length = 0;
    B.received.length = 0;
    writeFileSync(file, profilesFile(s));
    rmSync(har, { force: true });
    let stdout = '';
    let stderr = '';
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), CASE_LIMIT_MS);
    const t = Date.now();
    let code: number;
    try {
      code = await run(['--config', file, '--har', har, ...s.command], {
        stdout: (x) => { stdout += x; }, stderr: (x) => { stderr += x; }, env, cwd: dir, signal: ac.signal,
      });
    } finally {
      clearTimeout(timer);
    }
    const ms = Date.now() - t;
    const heap = process.memoryUsage().heapUsed;
    stats.cases += 1;
    stats.exitCodes.set(code, (stats.exitCodes.get(code) ?? 0) + 1);
    stats.requestsA += A.received.length;
    stats.requestsB += B.received.length;
    stats.maxMs = Math.max(stats.maxMs, ms);
    stats.maxHeapMB = Math.max(stats.maxHeapMB, Math.round(heap / 1048576));
    const first = /^scimx: (.{0,60})/m.exec(stderr)?.[1]?.replace(/\d+/g, 'N').replace(/http:\/\/[^ ]*/g, 'URL');
    if (first) stats.messages.set(first, (stats.messages.get(first) ?? 0) + 1);

    // bounded time, a clear end
    assert.ok(!ac.signal.aborted && ms < CASE_LIMIT_MS, `still running after ${ms} ms: ${s.command.join(' ')}`);
    assert.ok([0, 1].includes(code), `exit ${code}: ${stderr.slice(0, 300)}`);
    assert.doesNotMatch(stderr, /internal error|call stack|TypeError|ReferenceError|\[object Object\]/, stderr.slice(0, 300));
    if (code === 1) assert.match(stderr, /^scimx: \S/m, 'a failure says why');
    assert.ok(heap < HEAP_LIMIT, `heap ${Math.round(heap / 1048576)} MB`);
    // no credential off the origin, none outside the base path
    for (const r of B.received) {
      const c = carriesCredentials(r);
      assert.equal(c, undefined, `${c} sent to the other origin: ${r.method} ${r.url}`);
    }
    for (const r of A.received) {
      if (r.url.startsWith('/oauth/token')) continue;
      const path = r.url.split('?')[0]!;
      assert.ok(path === '/scim/v2' || path.startsWith('/scim/v2/'), `sent outside the base path: ${r.method} ${r.url}`);
    }
    // no unmasked secret in any output, no raw control character on the terminal
    const harText = existsSync(har) ? readFileSync(har, 'utf8') : '';
    for (const [where, text] of [['stdout', stdout], ['stderr', stderr], ['har', harText]] as const) {
      for (const secret of SECRETS) {
        for (const f of forms(secret)) assert.ok(!text.includes(f), `a secret (${secret.slice(0, 6)}…) in ${where}`);
      }
    }
    for (const [where, text] of [['stdout', stdout], ['stderr', stderr]] as const) {
      const m = RAW_CONTROL.exec(text);
      assert.ok(!m, `raw U+${m?.[0].charCodeAt(0).toString(16)} in ${where}: ${JSON.stringify(text.slice(Math.max(0, (m?.index ?? 0) - 40), (m?.index ?? 0) + 20))}`);
    }
    if (s.command.includes('--json') && stdout) {
      try { JSON.parse(stdout); } catch (e) { assert.fail(`--json printed no valid document (${String(e)}): ${JSON.stringify(stdout.slice(Math.max(0, Number(/position (\d+)/.exec(String(e))?.[1] ?? 0) - 200), Number(/position (\d+)/.exec(String(e))?.[1] ?? 0) + 50))}`); }
    }
  }), { seed: SEED, numRuns: RUNS, endOnFailure: true, includeErrorInReport: true });
  const codes = [...stats.exitCodes].map(([c, n]) => `exit ${c}: ${n}`).join(', ');
  const top = [...stats.messages].sort((x, y) => y[1] - x[1]).slice(0, 8).map(([m, n]) => `${n}× ${m}`).join(' | ');
  console.log(`fuzz-pipeline: ${stats.cases} cases (seed ${SEED}), ${stats.requestsA} requests to the profile's origin, ${stats.requestsB} to the other origin (without credentials); ${codes}; slowest ${stats.maxMs} ms, heap at most ${stats.maxHeapMB} MB; invariants held in every case`);
  console.log(`fuzz-pipeline: most frequent failures: ${top}`);
});
