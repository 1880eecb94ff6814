// Hostile servers and files, round 2 (issue 10): each finding against a scripted server or a file on
// 127.0.0.1, with exact assertions on the outcome, the time it took and the heap it used.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { run } from '../../src/cli/run';
import { LIST_ALL_MAX_PAGES } from '../../src/cli/commands';
import { commandHelp } from '../../src/cli/args';
import { ScimxError } from '../../src/core/errors';
import { Pipeline } from '../../src/core/http/pipeline';
import type { Profile } from '../../src/core/profile';
import { formatProblem, loadProfilesFile, MAX_MERGED_ENTRIES } from '../../src/core/profiles';
import { ScimClient } from '../../src/core/scim/client';
import { Trace } from '../../src/core/trace';
import { TestClock } from '../helpers/clock';
import { json, startEchoServer, type EchoServer, type Handler, type Received, type SyncHandler } from '../helpers/echo-server';
import { sandboxProfile } from '../helpers/profile';

const HEAP_LIMIT = 256 * 1024 * 1024;
const GATEWAY_KEY = 'k-0123456789abcdef-hostile2';
const BASIC_PASSWORD = 'pw-hostile2-0123456789';
const ACCESS_TOKEN = 'at-hostile2-eyJhbGciOiJIUzI1NiJ9.payload.signature';
const CLIENT_SECRET = 'cs-hostile2-0123456789abcdef';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
/** Everything `showControls` must never let through raw (LF excepted). */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]/;
const HOSTILE = '\u001b[2J\u001b]0;owned\u0007\u009b31m\u202eevil\u0008\u007f';

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'scimx-hostile2-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

interface CliResult { code: number; stdout: string; stderr: string; ms: number }

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const t = Date.now();
  const code = await run(argv, { stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; }, env, cwd: dir, clock: new TestClock() });
  return { code, stdout, stderr, ms: Date.now() - t };
}

function flags(s: EchoServer, extra: string[] = []): string[] {
  return ['--base-url', `${s.origin}/scim/v2`, '--user', 'svc', '--password-env', 'PW', '--subscription-key-env', 'KEY', ...extra];
}
const ENV = { PW: BASIC_PASSWORD, KEY: GATEWAY_KEY };

/** Routes by method and path (below /scim/v2); unrouted requests get a SCIM 404. */
function router(routes: Record<string, Handler>): Handler {
  return (req, res, raw) => {
    const path = req.url.split('?')[0]!.replace(/^\/scim\/v2/, '');
    const h = routes[`${req.method} ${path}`] ?? routes[path];
    if (h) return h(req, res, raw);
    return json(404, { schemas: [ERROR_SCHEMA], status: '404', detail: 'not found' })(req, res, raw);
  };
}

function heapUsed(): number {
  return process.memoryUsage().heapUsed;
}

function assertNoRawControls(where: string, text: string): void {
  const m = RAW_CONTROL.exec(text);
  assert.ok(!m, `${where}: raw U+${m?.[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${m?.index} in ${JSON.stringify(text.slice(0, 300))}`);
}

// ---------------------------------------------------------------------------------------------------------- 1

describe('1. index paging near 2^53 and endless listings', () => {
  let s: EchoServer;
  before(async () => { s = await startEchoServer(); });
  after(() => s.close());

  function page(startIndex: number, total: number, ids: string[], pad = 0): SyncHandler {
    const body = `{"schemas":["${LIST_SCHEMA}"],"totalResults":${total},"startIndex":${startIndex},"itemsPerPage":${ids.length},"Resources":[${ids.map((id) => `{"schemas":["${USER_SCHEMA}"],"id":"${id}","userName":"${id}"${pad ? `,"title":"${'x'.repeat(pad)}"` : ''}}`).join(',')}]}`;
    return json(200, body);
  }

  for (const [label, startIndex, size] of [['2^53, one per page', 2 ** 53, 1], ['2^53 - 3, one per page', 2 ** 53 - 3, 1], ['2^53, ten per page', 2 ** 53, 10]] as const) {
    test(`listAll: startIndex ${label}, totalResults 2^60, fresh ids: "did not advance" at once, no index asked twice`, async () => {
      s.received.length = 0;
      let n = 0;
      const at = (): number => { n += 1; return n; };
      // Every answer claims the page at `startIndex + (pages so far)*size` (a server counting on, exactly as far as
      // doubles go), with new ids each time (so no page repeats the one before).
      s.setDefault((req, res, raw) => {
        const k = at();
        const asked = Number(new URL(req.url, s.origin).searchParams.get('startIndex') ?? '1');
        const claimed = asked > 2 ** 52 ? asked : startIndex;
        page(claimed, 2 ** 60, Array.from({ length: size }, (_, i) => `u${k}-${i}`))(req, res, raw);
      });
      const client = new ScimClient(sandboxProfile({ gatewayUrl: `${s.origin}/scim/v2`, key: GATEWAY_KEY, keyHeader: 'Ocp-Apim-Subscription-Key', keyQuery: 'subscription-key' }), { trace: new Trace() });
      const heap0 = heapUsed();
      const t = Date.now();
      try {
        await assert.rejects(client.listAll('Users', {}), (e: unknown) => {
          assert.ok(e instanceof ScimxError, String(e));
          assert.match(e.message, /^The server's startIndex did not advance \(\d+\); stopped to avoid endless paging\.$/);
          return true;
        });
      } finally {
        await client.close();
      }
      const ms = Date.now() - t;
      assert.ok(ms < 10_000, `stopped in ${ms} ms`);
      const lists = s.received.filter((r) => r.url.includes('/Users'));
      const asked = lists.map((r) => new URL(r.url, s.origin).searchParams.get('startIndex'));
      assert.equal(new Set(asked).size, asked.length, `no startIndex asked twice: ${asked.join(', ')}`);
      assert.ok(lists.length <= 8, `${lists.length} list requests`);
      for (const a of asked.slice(1)) assert.ok(Number.isSafeInteger(Number(a)), `asked ${a}`);
      assert.ok(heapUsed() - heap0 < HEAP_LIMIT, 'heap');
    });
  }

  test('scimx list --all on an endless listing (totalResults 1e12, fresh ids): streamed, stopped at --max-pages with the way to continue', async () => {
    s.received.length = 0;
    let k = 0;
    s.setDefault((req, res, raw) => {
      const path = req.url.split('?')[0];
      if (path !== '/scim/v2/Users') return json(404, { schemas: [ERROR_SCHEMA], status: '404' })(req, res, raw);
      const asked = Number(new URL(req.url, s.origin).searchParams.get('startIndex') ?? '1');
      k += 1;
      page(asked, 1e12, Array.from({ length: 100 }, (_, i) => `p${k}-${i}`), 1000)(req, res, raw);
    });
    let lines = 0;
    let bytes = 0;
    let peak = 0;
    let stderr = '';
    const t = Date.now();
    const code = await run([...flags(s), 'list', 'Users', '--all', '--max-pages', '300'], {
      // nothing kept: the test's own memory stays flat, so the heap says what the CLI holds
      stdout: (text) => { bytes += text.length; lines += text.split('\n').length - 1; peak = Math.max(peak, heapUsed()); },
      stderr: (text) => { stderr += text; }, env: ENV, cwd: dir,
    });
    const ms = Date.now() - t;
    assert.equal(code, 0, stderr);
    assert.equal(stderr, 'scimx: stopped after 300 page(s) (30000 Users), the --max-pages limit of list --all; continue with: --all --start-index 30001\n');
    assert.equal(lines, 1 + 30_000 + 1, 'header, one line per user, the count');
    assert.ok(ms < 10_000, `${ms} ms`);
    assert.ok(peak < HEAP_LIMIT, `heap peak ${Math.round(peak / 1048576)} MB for ${Math.round(bytes / 1048576)} MB printed`);
    console.log(`list --all, endless listing: 300 pages, 30000 users, ${(bytes / 1048576).toFixed(1)} MB of table printed from about 32 MB of pages in ${ms} ms, heap peak ${Math.round(peak / 1048576)} MB`);
    // 300 pages read; at most `concurrency - 1` more were already on their way when the limit was reached
    const asked = s.received.filter((r) => r.url.startsWith('/scim/v2/Users')).length;
    assert.ok(asked >= 300 && asked <= 303, `${asked} pages asked`);
    // the default limit is the documented one, and without --max-pages the stop is a failure (exit 1)
    assert.match(commandHelp('list'), new RegExp(`default ${LIST_ALL_MAX_PAGES}`));
  });

  test('list --all --json: one document as it streams; stopped early it says where to continue', async () => {
    s.received.length = 0;
    let k = 0;
    s.setDefault((req, res, raw) => {
      const asked = Number(new URL(req.url, s.origin).searchParams.get('startIndex') ?? '1');
      k += 1;
      page(asked, 1e12, Array.from({ length: 2 }, (_, i) => `j${k}-${i}`))(req, res, raw);
    });
    const r = await cli([...flags(s), '--json', 'list', 'Users', '--all', '--max-pages', '3', '--start-index', '11'], ENV);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { Resources: Array<{ id: string }>; totalResults: number; next: { startIndex: number } };
    assert.equal(doc.Resources.length, 6);
    assert.equal(doc.totalResults, 6);
    assert.deepEqual(doc.next, { startIndex: 17 });
    assert.equal(new URL(s.received.find((x) => x.url.startsWith('/scim/v2/Users'))!.url, s.origin).searchParams.get('startIndex'), '11');
    assert.match(r.stderr, /continue with: --all --start-index 17\n$/);
  });
});

// ---------------------------------------------------------------------------------------------------------- 2

describe('2. YAML merge-key bombs', () => {
  function bomb(levels: number): string {
    let y = 'a0: &a0 {k0: 1, k1: 2}\n';
    for (let i = 1; i <= levels; i++) y += `a${i}: &a${i}\n  <<: [${Array(8).fill(`*a${i - 1}`).join(', ')}]\n  k${i + 1}: ${i}\n`;
    return `${y}profiles:\n  p:\n    <<: *a${levels}\n    baseUrl: https://x.example.com\n`;
  }

  for (const levels of [5, 8]) {
    test(`${levels} levels of nested merges (a ${bomb(levels).length}-byte file) fail within 1 s, with file:line:column`, async () => {
      const file = join(dir, `bomb-${levels}.yaml`);
      writeFileSync(file, bomb(levels));
      const heap0 = heapUsed();
      const t = performance.now();
      const pf = await loadProfilesFile(file, { env: {} });
      const ms = performance.now() - t;
      assert.ok(ms < 1000, `${ms.toFixed(0)} ms`);
      assert.equal(pf.profiles.length, 0);
      const p = pf.problems.find((x) => /merge key/.test(x.message));
      assert.ok(p, pf.problems.map(formatProblem).join('\n'));
      const expands = { 5: 70217, 8: 4493897 }[levels];
      assert.equal(formatProblem(p), `${file}:${3 * levels + 4}:5: profiles.p: this merge key (<<) expands to ${expands} entries (nested merges multiply), `
        + `past the limit of ${MAX_MERGED_ENTRIES} merged entries in a file: write the keys out, or merge fewer levels`);
      assert.ok(heapUsed() - heap0 < HEAP_LIMIT);
    });
  }

  test('an ordinary merge still works', async () => {
    const file = join(dir, 'merge-ok.yaml');
    writeFileSync(file, 'defaults: &d\n  timeoutMs: 1234\n  pageSize: 7\nprofiles:\n  p:\n    <<: *d\n    baseUrl: https://x.example.com\n    pageSize: 9\n');
    const pf = await loadProfilesFile(file, { env: {} });
    // the top-level anchor holder is an unknown key (a problem of the file); the profile itself is fine
    assert.equal(pf.profiles[0]?.timeoutMs, 1234);
    assert.equal(pf.profiles[0]?.pageSize, 9);
  });
});

// ---------------------------------------------------------------------------------------------------------- 3

describe('3. terminal escapes from outside data are shown, never sent raw', () => {
  let s: EchoServer;
  before(async () => { s = await startEchoServer(); });
  after(() => s.close());

  const scimError = (status: number, extra: Record<string, string>): Handler => json(status, { schemas: [ERROR_SCHEMA], status: String(status), ...extra });
  const visible = /\\u001b\[2J/;

  async function check(name: string, routes: Record<string, Handler>, argv: string[], stream: 'stdout' | 'stderr', shows: RegExp = visible): Promise<void> {
    s.setDefault(router(routes));
    for (const json of [false, true]) {
      const r = await cli([...flags(s), ...(json ? ['--json'] : []), ...argv], ENV);
      assertNoRawControls(`${name} stdout${json ? ' --json' : ''}`, r.stdout);
      assertNoRawControls(`${name} stderr${json ? ' --json' : ''}`, r.stderr);
      assert.match(json && stream === 'stderr' ? r.stdout + r.stderr : r[stream], shows, `${name}: ${r.stdout}${r.stderr}`);
      assert.ok(r.ms < 5000, `${r.ms} ms`);
      if (json) JSON.parse(r.stdout); // still one valid JSON document
    }
  }

  test('SCIM detail and scimType', () => check('scim error', { 'GET /Users/u1': scimError(400, { scimType: `invalid${HOSTILE}`, detail: `bad${HOSTILE}` }) }, ['get', 'Users', 'u1'], 'stderr'));
  test('the gateway\'s message', () => check('gateway', { 'GET /Users/u1': json(401, { statusCode: 401, message: `Access denied due to ${HOSTILE}` }, {}, 'application/json') }, ['get', 'Users', 'u1'], 'stderr'));
  test('an HTML <title>', () => check('html', {
    'GET /Users/u1': (_q, res) => { res.writeHead(502, { 'Content-Type': 'text/html' }); res.end(`<html><head><title>Bad ${HOSTILE} gateway</title></head><body>x</body></html>`); },
  }, ['get', 'Users', 'u1'], 'stderr'));
  test('a non-JSON body snippet', () => check('snippet', {
    'GET /Users/u1': (_q, res) => { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end(`not json ${HOSTILE} at all`); },
  }, ['get', 'Users', 'u1'], 'stderr'));
  test('a JSON answer printed by get (C1 and bidi inside strings)', () => check('get', {
    'GET /Users/u1': json(200, { schemas: [USER_SCHEMA], id: 'u1', userName: `a${HOSTILE}` }),
  }, ['get', 'Users', 'u1'], 'stdout', /\\u009b31m\\u202eevil/));
  test('schema ids in discover', () => check('discover', {
    '/ServiceProviderConfig': json(200, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'], patch: { supported: true }, filter: { supported: true, maxResults: 100 } }),
    '/ResourceTypes': json(200, { Resources: [{ id: 'User', name: `User${HOSTILE}`, endpoint: '/Users', schema: USER_SCHEMA }] }),
    '/Schemas': json(200, { Resources: [{ id: `urn:evil${HOSTILE}` }] }),
  }, ['discover'], 'stdout', /urn:evil\\u001b\[2J/));
  test('the list table (C1 U+009B and bidi U+202E)', () => check('list', {
    'GET /Users': json(200, { schemas: [LIST_SCHEMA], totalResults: 1, Resources: [{ id: 'u1', userName: `x\u009b31m\u202eevil`, displayName: HOSTILE }] }),
  }, ['list', 'Users'], 'stdout', /x\\u009b31m\\u202eevil/));
  test('membership failure messages on stderr', () => check('members', {
    '/ServiceProviderConfig': json(200, { schemas: [], patch: { supported: true }, filter: { supported: true, maxResults: 100 }, etag: { supported: false } }),
    'GET /Groups/g1': json(200, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id: 'g1', displayName: 'g', members: [] }),
    'GET /Groups': json(200, { schemas: [LIST_SCHEMA], totalResults: 0, Resources: [] }),
    'GET /Users': json(200, { schemas: [LIST_SCHEMA], totalResults: 0, Resources: [] }),
    'PATCH /Groups/g1': scimError(400, { detail: `refused ${HOSTILE}` }),
    'PUT /Groups/g1': scimError(400, { detail: `refused ${HOSTILE}` }),
  }, ['members', 'add', 'g1', 'u1'], 'stderr'));

  test('the HTTP status text (a reason phrase with ESC, OSC and C1)', async () => {
    const raw = net.createServer((sock) => {
      sock.once('data', () => {
        sock.end(Buffer.concat([Buffer.from('HTTP/1.1 400 Bad \x1b[2J\x1b]0;owned\x07', 'latin1'), Buffer.from('\u009b31m\u202e', 'utf8'),
          Buffer.from('\r\nContent-Type: text/plain\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')]));
      });
    });
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    try {
      const port = (raw.address() as AddressInfo).port;
      const r = await cli(['--base-url', `http://127.0.0.1:${port}/scim/v2`, 'get', 'Users', 'u1']);
      assert.equal(r.code, 1);
      assertNoRawControls('status text stderr', r.stderr);
      assert.match(r.stderr, /answered 400 Bad \\u001b\[2J\\u001b\]0;owned\\u0007/);
    } finally {
      await new Promise<void>((r) => raw.close(() => r()));
    }
  });

  test('profile names with ESC: from --profile and from a profiles file', async () => {
    const file = join(dir, 'esc-names.yaml');
    writeFileSync(file, `profiles:\n  "ok${'\\u009b'}31m":\n    baseUrl: https://x.example.com\n  "bad\\e[31m":\n    baseUrl: https://y.example.com\n`);
    for (const argv of [['--config', file, '--profile', `x${HOSTILE}`, 'discover'], ['--config', file, '--profile', 'bad\u001b[31m', 'discover'], ['--config', file, 'discover']]) {
      const r = await cli(argv);
      assert.equal(r.code, 2, r.stderr);
      assertNoRawControls(`profile ${JSON.stringify(argv)}`, r.stderr + r.stdout);
      assert.match(r.stderr, /\\u001b\[/);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------- 4

describe('4. secrets learnt at run time (an OAuth access token) are masked on every output', () => {
  let s: EchoServer;
  before(async () => { s = await startEchoServer(); });
  after(() => s.close());

  test('get, --json get, list, --har and --curl: the echoed token never appears', async () => {
    const echoAuth = (req: Received): Record<string, unknown> => ({ seen: s.header(req, 'authorization'), headers: Object.fromEntries(req.headers) });
    s.setDefault(router({
      'POST /token': json(200, { access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 3600 }, {}, 'application/json'),
      'GET /Users/u1': (req, res, raw) => json(200, { schemas: [USER_SCHEMA], id: 'u1', userName: `echo ${s.header(req, 'authorization')}`, ...echoAuth(req) })(req, res, raw),
      'GET /Users': (req, res, raw) => json(200, { schemas: [LIST_SCHEMA], totalResults: 1, Resources: [{ id: 'u1', userName: s.header(req, 'authorization'), displayName: ACCESS_TOKEN }] })(req, res, raw),
      'GET /Users/u2': (req, res, raw) => json(400, { schemas: [ERROR_SCHEMA], status: '400', detail: `token ${s.header(req, 'authorization')} refused` })(req, res, raw),
    }));
    const file = join(dir, 'oauth.yaml');
    writeFileSync(file, `profiles:\n  o:\n    baseUrl: ${s.origin}/scim/v2\n    auth:\n      type: oauth2\n      tokenUrl: ${s.origin}/scim/v2/token\n      clientId: cli\n      clientSecret: \${env:CS}\n`);
    const env = { CS: CLIENT_SECRET };
    const har = join(dir, 'oauth.har');
    for (const argv of [['get', 'Users', 'u1'], ['--json', 'get', 'Users', 'u1'], ['list', 'Users'], ['--json', 'list', 'Users', '--all'], ['--curl', 'get', 'Users', 'u2']]) {
      const r = await cli(['--config', file, '--har', har, ...argv], env);
      const harText = readFileSync(har, 'utf8');
      for (const [where, text] of [['stdout', r.stdout], ['stderr', r.stderr], ['har', harText]] as const) {
        assert.ok(!text.includes(ACCESS_TOKEN), `${argv.join(' ')}: the access token in ${where}`);
        assert.ok(!text.includes(CLIENT_SECRET), `${argv.join(' ')}: the client secret in ${where}`);
      }
      assert.match(r.stdout + r.stderr, /••••ture/, `${argv.join(' ')}: the token's masked form is shown`);
    }
    assert.ok(s.received.some((x) => s.header(x, 'authorization') === `Bearer ${ACCESS_TOKEN}`), 'the token was sent');
  });

  test('proxy credentials (the password and the Proxy-Authorization undici makes of it) are secrets of the pipeline', () => {
    const proxyPassword = 'proxy-pass-0123456789';
    const p = sandboxProfile({ gatewayUrl: 'http://127.0.0.1:1/scim/v2', key: GATEWAY_KEY, keyHeader: 'Ocp-Apim-Subscription-Key', keyQuery: 'subscription-key' }, { proxy: `http://puser:${proxyPassword}@127.0.0.1:3128` });
    const pipe = new Pipeline(p, { trace: new Trace() });
    const basic = Buffer.from(`puser:${proxyPassword}`).toString('base64');
    const out = pipe.mask(`proxy-authorization: Basic ${basic}; url http://puser:${proxyPassword}@127.0.0.1:3128`);
    assert.ok(!out.includes(basic) && !out.includes(proxyPassword), out);
  });
});

// ---------------------------------------------------------------------------------------------------------- 5

describe('5. short secrets are masked by position, not in free text', () => {
  let s: EchoServer;
  before(async () => { s = await startEchoServer(); });
  after(() => s.close());

  test('password "2024" leaves dates alone and is masked where it stands; "s" leaves URL paths alone', async () => {
    s.setDefault(router({
      'GET /Users/u1': (req, res, raw) => json(200, { schemas: [USER_SCHEMA], id: 'u1', userName: 'sam', meta: { created: '2024-01-01T00:00:00Z', location: `${s.origin}/scim/v2/Users/u1?x=2024` }, password: '2024', echoed: s.header(req, 'x-pin') })(req, res, raw),
      '/ServiceProviderConfig': json(200, { schemas: [], patch: { supported: true } }),
    }));
    for (const password of ['2024', 's']) {
      const har = join(dir, `short-${password}.har`);
      const r = await cli(['--base-url', `${s.origin}/scim/v2`, '--user', 'u', '--password-env', 'PW', '--header', 'X-Pin: 2024', '--har', har, 'get', 'Users', 'u1'], { PW: password });
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as { meta: { created: string; location: string }; password: string };
      assert.equal(doc.meta.created, '2024-01-01T00:00:00Z', 'a date is not a password');
      assert.equal(doc.meta.location, `${s.origin}/scim/v2/Users/u1?x=${password === '2024' ? '••••' : '2024'}`, 'a query value that is the password is masked');
      assert.equal(doc.password, '••••', 'a password field is masked whatever it holds');
      const h = JSON.parse(readFileSync(har, 'utf8')) as { log: { entries: Array<{ request: { url: string; headers: Array<{ name: string; value: string }> }; response: { content: { text: string } } }> } };
      // (get looks a name up first when the service can filter, so the GET of the user is found by its URL)
      const e = h.log.entries.find((x) => x.request.url.startsWith(`${s.origin}/scim/v2/Users/`))!;
      assert.equal(e.request.url, `${s.origin}/scim/v2/Users/u1`, 'the URL path is not masked');
      assert.match(e.response.content.text, /"created":"2024-01-01T00:00:00Z"/);
      assert.match(e.request.headers.find((x) => x.name.toLowerCase() === 'authorization')!.value, /^Basic ••••/);
    }
    const d = await cli(['--base-url', `${s.origin}/scim/v2`, '--user', 'u', '--password-env', 'PW', 'discover'], { PW: '2024' });
    assert.match(d.stderr, /^scimx: warning: profiles\.flags\.auth\.password: auth\.password is shorter than 8 characters \(4\): it is masked only where it stands/m);
  });
});

// ---------------------------------------------------------------------------------------------------------- 6

describe('6. ${env:} values in non-secret fields are masked; origins stay readable', () => {
  let s: EchoServer;
  before(async () => { s = await startEchoServer(); });
  after(() => s.close());

  test('a tenant in the baseUrl path and a scope from the environment', async () => {
    const tenant = 'tenant-0123456789-abcdef';
    s.setDefault(router({}));
    const file = join(dir, 'env-path.yaml');
    writeFileSync(file, 'profiles:\n  t:\n    baseUrl: http://${env:HOST}:${env:PORT}/scim/${env:TENANT}\n    gateway:\n      subscriptionKey: ${env:KEY}\n');
    const har = join(dir, 'env-path.har');
    const r = await cli(['--config', file, '--har', har, 'get', 'Users', 'nope'], { HOST: '127.0.0.1', PORT: String(s.port), TENANT: tenant, KEY: GATEWAY_KEY });
    assert.equal(r.code, 1);
    assert.ok(s.received.some((x) => x.url === `/scim/${tenant}/Users/nope`), 'sent to the tenant path');
    const harText = readFileSync(har, 'utf8');
    for (const [where, text] of [['stderr', r.stderr], ['stdout', r.stdout], ['har', harText]] as const) {
      assert.ok(!text.includes(tenant), `the tenant in ${where}`);
    }
    assert.match(harText, new RegExp(`http://127\\.0\\.0\\.1:${s.port}/scim/••••cdef/Users/nope`), 'the origin stays readable');
  });
});

// ---------------------------------------------------------------------------------------------------------- 8

describe('8. server-provided URLs stay under the base path', () => {
  let s: EchoServer;
  let profile: Profile;
  before(async () => {
    s = await startEchoServer();
    profile = sandboxProfile({ gatewayUrl: `${s.origin}/scim/v2`, key: GATEWAY_KEY, keyHeader: 'Ocp-Apim-Subscription-Key', keyQuery: 'subscription-key' });
  });
  after(() => s.close());

  test('an absolute-path reference outside the base path is taken relative to it (as Entra\'s /Users/1), under every policy', async () => {
    for (const policy of ['rewrite', 'follow', 'strict'] as const) {
      s.received.length = 0;
      s.setDefault(json(200, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id: 'g1' }));
      const trace = new Trace();
      const pipe = new Pipeline({ ...profile, locations: policy }, { trace });
      try {
        const res = await pipe.send(trace.startOperation('put', profile.name), { method: 'PUT', url: '/admin/Groups/g1', fromServer: true, body: { id: 'g1' } });
        assert.equal(res.status, 200);
        assert.deepEqual(s.received.map((x) => `${x.method} ${x.url}`), ['PUT /scim/v2/admin/Groups/g1']);
      } finally {
        await pipe.close();
      }
    }
  });

  for (const target of ['../../admin/Groups/g1', '/scim/v2/%2e%2e/%2e%2e/admin/Groups/g1', '/scim/v2/Users/%2E%2E/../../admin/Groups/g1', `__ORIGIN__/admin/Groups/g1`]) {
    for (const policy of ['rewrite', 'follow', 'strict'] as const) {
      test(`meta.location ${target} under locations: ${policy}`, async () => {
        s.received.length = 0;
        s.setDefault(json(200, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id: 'g1' }));
        const trace = new Trace();
        const pipe = new Pipeline({ ...profile, locations: policy }, { trace });
        const op = trace.startOperation('put', profile.name);
        try {
          const url = target.replace('__ORIGIN__', s.origin);
          const send = pipe.send(op, { method: 'PUT', url, fromServer: true, body: { id: 'g1', members: [] } });
          if (policy === 'rewrite') {
            const res = await send;
            assert.equal(res.status, 200);
            assert.deepEqual(s.received.map((x) => `${x.method} ${x.url}`), ['PUT /scim/v2/Groups/g1']);
            assert.match(res.exchange.warnings.join(' '), /outside the base path \/scim\/v2: rewritten under it/);
          } else {
            await assert.rejects(send, (e: unknown) => e instanceof ScimxError && e.code === 'location'
              && /outside the profile's base path \/scim\/v2 \(locations: (follow|strict)\)/.test(e.message));
            assert.equal(s.received.length, 0, 'nothing sent');
          }
        } finally {
          await pipe.close();
        }
      });
    }
  }

  test('a redirect to the same origin outside the base path is mapped back (rewrite), never followed there', async () => {
    s.received.length = 0;
    s.setDefault(router({
      'GET /Users/u1': (_q, res) => { res.writeHead(302, { Location: '/admin/Users/u9', 'Content-Length': 0 }); res.end(); },
      'GET /Users/u9': json(200, { schemas: [USER_SCHEMA], id: 'u9' }),
    }));
    const client = new ScimClient(profile, { trace: new Trace() });
    try {
      const u = await client.get('Users', 'u1');
      assert.equal(u.id, 'u9');
    } finally {
      await client.close();
    }
    assert.ok(s.received.every((x) => x.url.startsWith('/scim/v2/')), s.received.map((x) => x.url).join(', '));
  });
});

// ---------------------------------------------------------------------------------------------------------- 9

describe('9. deeply nested JSON', () => {
  let s: EchoServer;
  before(async () => { s = await startEchoServer(); });
  after(() => s.close());

  test('get, --json get and list say what was wrong instead of "Maximum call stack size exceeded"', async () => {
    const deep = `{"schemas":["${USER_SCHEMA}"],"id":"u1","x":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`;
    const deepList = `{"Resources":[${'['.repeat(50_000)}${']'.repeat(50_000)}],"totalResults":1}`;
    s.setDefault(router({ 'GET /Users/u1': json(200, deep), 'GET /Users': json(200, deepList) }));
    for (const argv of [['get', 'Users', 'u1'], ['--json', 'get', 'Users', 'u1'], ['list', 'Users'], ['list', 'Users', '--all']]) {
      const heap0 = heapUsed();
      const r = await cli([...flags(s), ...argv], ENV);
      assert.equal(r.code, 1, r.stderr);
      assert.doesNotMatch(r.stdout + r.stderr, /call stack/i);
      assert.match(r.stderr, /^scimx: The answer to GET http:\/\/127\.0\.0\.1:\d+\/scim\/v2\/Users(\/u1)?(\?[^ ]*)? \(HTTP 200\) is JSON nested more than 100 levels deep \(at character \d+\): not a SCIM answer, so it was not read\.$/m);
      assert.ok(r.ms < 3000, `${r.ms} ms`);
      assert.ok(heapUsed() - heap0 < HEAP_LIMIT);
    }
  });
});
