// The shipped core chunks themselves (dist/browse.js, what the extension loads for the tree's first expand, and the
// chunks that loads on demand: dist/listing.js, dist/membership.js, dist/proxy.js, dist/yaml-extra.js, ...), not src/:
// each action asserts which chunks it loads (scripts/build.mjs LAZY), and that it works as the source does. The
// build trims undici (no SIMD parser, no FormData bodies, no HTTP/2 client, llhttp's constants cut to the two
// client-h1 reads, its wasm parser stored compressed) and loads yaml's ES module build (scripts/build.mjs).
// These requests prove the trimmed bundle still does the real thing: profiles parsed by the bundle's yaml, then
// requests through the bundle's ScimClient to the sandbox on 127.0.0.1 directly, through tinyproxy (HTTP
// CONNECT), through a SOCKS5 proxy (the kind VS Code's http.proxy may name), and over TLS to a server that
// offers h2 (ALPN must settle on http/1.1). Each asserts the 200 and the gateway key as received.
// `npm test` builds dist/ before the integration suite; run alone: node scripts/build.mjs first.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import http2 from 'node:http2';
import net, { type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import type * as Browse from '../../src/extension/chunks/browse';
import type { Profile } from '../../src/core/profile';
import { parseProfiles } from '../../src/core/profiles';
import { FileJournal } from '../../src/core/journal';
import { Trace } from '../../src/core/trace';
import { withVsCodeProxy } from '../../src/extension/proxy';
import { startTestSandbox, type Sandbox } from '../helpers/sandbox';
import { startTinyproxy, tinyproxySkipReason, type TestProxy } from '../helpers/proxy';
import { makeCerts, opensslSkipReason, type TestCerts } from '../helpers/certs';

const dist = join(__dirname, '..', '..', 'dist');
const bundle = join(dist, 'browse.js');

function loadBundle(): typeof Browse {
  if (!existsSync(bundle)) throw new Error('dist/browse.js is missing: run `node scripts/build.mjs` first (npm test does)');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(bundle) as typeof Browse;
}

/** The extension's files (dist/extension.js and its chunks) loaded in this process so far. */
function loadedChunks(): string[] {
  return Object.keys(require.cache).filter((f) => f.startsWith(dist + '/')).map((f) => f.slice(dist.length + 1)).sort();
}

interface Layout { layout: Record<string, { loads: string[] }> }

/** A file of the extension and every file it loads (dist/extension-files.json), sorted. */
function withLoads(...files: string[]): string[] {
  const { layout } = JSON.parse(readFileSync(join(dist, 'extension-files.json'), 'utf8')) as Layout;
  const seen = new Set<string>();
  const go = (f: string): void => { if (!seen.has(f)) { seen.add(f); for (const l of layout[f]?.loads ?? []) go(l); } };
  files.forEach(go);
  return [...seen].filter((f) => f !== 'extension.js').sort();
}

/** A profiles file read by dist/browse.js in a process of its own: what it gives, and the chunks that loaded. */
function readInFreshProcess(text: string): { result: unknown; loaded: string[] } {
  const script = `const b = require(${JSON.stringify(bundle)});
b.parseProfiles(${JSON.stringify(text)}, 'scim-profiles.yaml', { env: { K: 'k' } }).then((result) => {
  const loaded = Object.keys(require.cache).filter((f) => f.startsWith(${JSON.stringify(`${dist}/`)})).map((f) => f.slice(${dist.length + 1})).sort();
  process.stdout.write(JSON.stringify({ result, loaded }));
});`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { result: unknown; loaded: string[] };
}

function header(raw: Array<[string, string]>, name: string): string | undefined {
  return raw.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
}

/** A SOCKS5 proxy (RFC 1928: no authentication, CONNECT only) that records where it was asked to connect. */
async function startSocks5(): Promise<{ url: string; connects: string[]; close(): Promise<void> }> {
  const connects: string[] = [];
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket): net.Socket => { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => s.destroy()); return s; };
  const reply = (rep: number): Buffer => Buffer.from([5, rep, 0, 1, 0, 0, 0, 0, 0, 0]);
  const server = net.createServer((c) => {
    track(c);
    c.once('data', (hello) => {
      if (hello[0] !== 5 || !hello.subarray(2, 2 + (hello[1] ?? 0)).includes(0)) { c.end(Buffer.from([5, 0xff])); return; }
      c.write(Buffer.from([5, 0]));
      c.once('data', (req) => {
        let host: string;
        let at: number;
        if (req[0] !== 5 || req[1] !== 1) { c.end(reply(7)); return; }
        if (req[3] === 1) { host = [...req.subarray(4, 8)].join('.'); at = 8; } else if (req[3] === 3) { host = req.subarray(5, 5 + req[4]!).toString('latin1'); at = 5 + req[4]!; } else { c.end(reply(8)); return; }
        const port = req.readUInt16BE(at);
        connects.push(`${host}:${port}`);
        const up = track(net.connect(port, host, () => { c.write(reply(0)); up.pipe(c); c.pipe(up); }));
        up.once('error', () => { if (c.writable) c.end(reply(5)); });
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `socks5://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connects,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

const core = loadBundle();
let sb: Sandbox;
let profile: Profile;
const clients: Array<{ close(): Promise<void> }> = [];

before(async () => {
  sb = await startTestSandbox();
  // The bundle's own parser (yaml's ES module build) reads the sandbox's profiles file.
  const parsed = await core.parseProfiles(sb.profileYaml('bundle'), 'scim-profiles.yaml', { env: {} });
  assert.deepEqual(parsed.problems, []);
  assert.equal(parsed.profiles.length, 1);
  profile = parsed.profiles[0]!;
});
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await sb?.stop();
});

/** GET Users through the bundle's ScimClient; returns the status and what the gateway received. */
async function getUsers(p: Profile): Promise<{ status: number; trace: Trace }> {
  const trace = new Trace();
  const client = new core.ScimClient(p, { trace });
  clients.push(client);
  sb.clearReceived();
  const res = await client.run('GET Users', undefined, (call) => client.request(call, { method: 'GET', url: 'Users?count=2' }));
  const got = sb.received.at(-1);
  assert.ok(got, 'the gateway received the request');
  assert.equal(got.method, 'GET');
  assert.match(got.url, /^\/scim\/v2\/Users\?count=2/);
  assert.equal(header(got.rawHeaders, sb.keyHeader), sb.key, 'the subscription key on the wire');
  assert.equal(got.status, 200);
  return { status: res.status, trace };
}

describe('dist/browse.js and its chunks (the trimmed bundle)', () => {
  const files = (JSON.parse(readFileSync(join(dist, 'extension-files.json'), 'utf8')) as { files: string[] }).files;
  const text = (f: string): string => readFileSync(join(dist, '..', f), 'utf8');

  test('no HTTP/2 client in any chunk, the h2 stub says what it is; the core chunks have no vscode import', () => {
    assert.ok(files.includes('dist/core.js') && files.includes('dist/browse.js'));
    for (const f of files) assert.doesNotMatch(text(f), /require\("node:http2"\)/, f);
    assert.ok(files.some((f) => /HTTP\/2 is not supported/.test(text(f))), 'the h2 stub is in one of the chunks');
    for (const f of ['core', 'browse', 'listing', 'membership', 'journal', 'report', 'probe', 'diagnose', 'classify', 'proxy', 'oauth', 'filters', 'yaml-extra', 'syntax-errors', 'export', 'lifecycle', 'compat']) {
      assert.doesNotMatch(text(`dist/${f}.js`), /require\("vscode"\)/, f);
    }
  });

  test('reading a profiles file and discovery (a profile expanded) load dist/browse.js and the core only; a listing adds dist/listing.js and what it shares, not the membership, probe, proxy, OAuth, filter or yaml-extra chunks', async () => {
    const client = new core.ScimClient(profile, { trace: new Trace() });
    clients.push(client);
    const disc = await client.discover();
    assert.ok(disc.resourceTypes.length > 0);
    assert.deepEqual(loadedChunks(), ['browse.js', 'core.js'], 'the browse chunk and the core it shares with activation, nothing else');
    const page = await client.listPage(disc.resourceTypes[0]!.endpoint, { count: 2 });
    assert.ok(page.resources.length > 0);
    assert.deepEqual(loadedChunks(), withLoads('browse.js', 'listing.js'), 'a listing adds dist/listing.js (and the shared file it loads), nothing else');
    assert.ok(!loadedChunks().includes('filters.js'), 'no filter written or parsed for a listing without one');
  });

  test('a listing with a filter loads dist/filters.js (scim2-parse-filter); a filter that does not parse is refused as before', async () => {
    const client = new core.ScimClient(profile, { trace: new Trace() });
    clients.push(client);
    const users = await client.usersEndpoint();
    const page = await client.listPage(users, { filter: 'userName eq "user0001"', count: 5 });
    assert.deepEqual(page.resources.map((r) => r['userName']), ['user0001']);
    assert.ok(loadedChunks().includes('filters.js'));
    await assert.rejects(client.listPage(users, { filter: 'userName eq' }), /Not a SCIM filter/);
  });

  test('a group\'s members page, through dist/listing.js', async () => {
    const client = new core.ScimClient(profile, { trace: new Trace() });
    clients.push(client);
    const groupId = sb.groupIdByName('group-01');
    assert.ok(groupId);
    const page = await client.membersPage(groupId, { count: 5 });
    assert.ok(page.resources.length > 0, 'group-01 has members');
    for (const m of page.resources) assert.ok(sb.members(groupId).includes(m.value), `${m.value} is a member of group-01`);
    assert.ok(loadedChunks().includes('listing.js'));
  });

  test('profiles read by the bundle as by the source: %YAML 1.1, aliases and merge keys, explicit tags load dist/yaml-extra.js; a plain file and a collection as a key do not; syntax errors load dist/syntax-errors.js', async () => {
    const base = ['profiles:', '  a:', '    baseUrl: https://gw.example.com/scim', '    gateway: { subscriptionKey: "${env:K}", sendAs: both }'];
    const cases: Array<{ name: string; text: string; extra: string[] }> = [
      { name: 'a plain file', text: base.join('\n'), extra: [] },
      { name: 'a collection as a map key', text: [...base, '    ? [x, y]', '    : 1'].join('\n'), extra: [] },
      { name: '%YAML 1.1 (yes is a boolean, 0x10 a number)', text: ['%YAML 1.1', '---', ...base, '    provider: yes', '    pageSize: 0x10'].join('\n'), extra: ['yaml-extra.js'] },
      { name: 'an anchor, an alias and a merge key', text: [...base.slice(0, 2).map((l, i) => (i === 1 ? '  base: &base' : l)), ...base.slice(2), '  other:', '    <<: *base', '    provider: aws'].join('\n'), extra: ['yaml-extra.js'] },
      { name: 'explicit tags (!!str, !!binary)', text: [...base, '    provider: !!binary aGVsbG8=', '    pageSize: !!str 5'].join('\n'), extra: ['yaml-extra.js'] },
      { name: 'syntax errors (bad indent, a tab)', text: [...base, '   bad: 1', '\tx: 2'].join('\n'), extra: ['syntax-errors.js'] },
    ];
    for (const c of cases) {
      const source = JSON.parse(JSON.stringify(await parseProfiles(c.text, 'scim-profiles.yaml', { env: { K: 'k' } }))) as unknown;
      const { result, loaded } = readInFreshProcess(c.text);
      assert.deepEqual(result, source, `${c.name}: read as the source reads it`);
      assert.deepEqual(loaded, withLoads('browse.js', ...c.extra), `${c.name}: the chunks loaded`);
    }
  });

  test('a request to the sandbox over http: 200, key on the wire, headers traced from the wire', async () => {
    const { status, trace } = await getUsers(profile);
    assert.equal(status, 200);
    const ex = trace.operations()[0]!.exchanges[0]!;
    assert.equal(ex.request.wire, true);
    assert.ok(header(ex.request.headers, sb.keyHeader), 'the trace shows the key header (masked)');
  });

  test('a failed request loads dist/diagnose.js, and its error carries the diagnosis', async () => {
    const client = new core.ScimClient({ ...profile, gateway: { ...profile.gateway, subscriptionKey: 'wrong-key' } }, { trace: new Trace() });
    clients.push(client);
    assert.ok(!loadedChunks().includes('diagnose.js'), 'the diagnosis rules are not loaded before a failure');
    const err = await client.run('GET Users', undefined, (call) => client.request(call, { method: 'GET', url: 'Users?count=1' })).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof Error, 'the request with a wrong key failed');
    assert.ok((err as { diagnosis?: { summary: string } }).diagnosis?.summary, 'with a diagnosis');
    assert.ok(loadedChunks().includes('diagnose.js'));
  });

  test('a membership change (PATCH with a body), through the bundle', async () => {
    const client = new core.ScimClient(profile, { trace: new Trace() });
    clients.push(client);
    const groupId = sb.groupIdByName('group-01');
    const user = sb.userIdByName('user0020');
    assert.ok(groupId && user, 'the seeded group-01 and user0020');
    sb.removeMemberDirect(groupId, user);
    sb.clearReceived();
    assert.ok(!loadedChunks().includes('membership.js'), 'the membership chunk is not loaded before the first change');
    const report = await client.changeMembers(groupId, { add: [user], remove: [] }, { mode: 'patch' });
    assert.ok(loadedChunks().includes('membership.js'), 'the change loaded dist/membership.js');
    assert.ok(loadedChunks().includes('report.js'), 'and dist/report.js for its summary in the trace');
    assert.match(client.trace.operations().at(-1)!.summary ?? '', /added 1/);
    assert.deepEqual(report.added, [user]);
    assert.ok(sb.members(groupId).includes(user));
    const patch = sb.received.find((r) => r.method === 'PATCH');
    assert.ok(patch, 'a PATCH reached the gateway');
    assert.ok(patch.status >= 200 && patch.status < 300, `PATCH answered ${patch.status}`);
    assert.match(patch.body, new RegExp(user));
    assert.equal(header(patch.rawHeaders, sb.keyHeader), sb.key);
  });

  test('a change recorded in a journal loads dist/journal.js; undo reads it back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scimx-bundle-journal-'));
    try {
      const client = new core.ScimClient(profile, { trace: new Trace(), journal: new FileJournal(dir) });
      clients.push(client);
      const groupId = sb.groupIdByName('group-02');
      const user = sb.userIdByName('user0019');
      assert.ok(groupId && user, 'the seeded group-02 and user0019');
      sb.removeMemberDirect(groupId, user);
      await client.changeMembers(groupId, { add: [user], remove: [] }, { mode: 'patch' });
      assert.ok(loadedChunks().includes('journal.js'), 'recording the change loaded dist/journal.js');
      assert.deepEqual(client.journalEntries().map((e) => e.added), [[user]]);
      const undone = await client.undoChange();
      assert.deepEqual(undone.removed, [user]);
      assert.ok(!sb.members(groupId).includes(user), 'the undo removed the member again');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a connection refused: dist/classify.js loaded by the failure, its one line as before', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    assert.ok(!loadedChunks().includes('classify.js'), 'not loaded before a failed attempt');
    const client = new core.ScimClient({ ...profile, baseUrl: `http://127.0.0.1:${port}/scim/v2` }, { trace: new Trace() });
    clients.push(client);
    const err = await client.run('GET Users', undefined, (call) => client.request(call, { method: 'GET', url: 'Users' })).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof Error);
    assert.match(err.message, /connection refused/);
    assert.ok(loadedChunks().includes('classify.js'));
  });

  test('an OAuth 2.0 profile: dist/oauth.js loaded by its first request, one token fetched and sent', async () => {
    const TOKEN = 'bundle-oauth-token-0123456789';
    const seen: Array<{ method: string; url: string; authorization?: string; body: string }> = [];
    const server = http.createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString('utf8'); });
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body });
        const json = req.url === '/token'
          ? { access_token: TOKEN, token_type: 'Bearer', expires_in: 3600 }
          : { schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 0, Resources: [] };
        const text = JSON.stringify(json);
        res.writeHead(200, { 'content-type': req.url === '/token' ? 'application/json' : 'application/scim+json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      assert.ok(!loadedChunks().includes('oauth.js'), 'not loaded by the profiles without OAuth');
      const p: Profile = { ...profile, baseUrl: `${origin}/scim/v2`, auth: { type: 'oauth2', tokenUrl: `${origin}/token`, clientId: 'cid', clientSecret: 'client-secret-value-123' } };
      const client = new core.ScimClient(p, { trace: new Trace() });
      clients.push(client);
      for (let i = 0; i < 2; i++) {
        const res = await client.run('GET Users', undefined, (call) => client.request(call, { method: 'GET', url: 'Users' }));
        assert.equal(res.status, 200);
      }
      assert.ok(loadedChunks().includes('oauth.js'));
      assert.deepEqual(seen.map((s) => `${s.method} ${s.url}`), ['POST /token', 'GET /scim/v2/Users', 'GET /scim/v2/Users'], 'one token request, then the two GETs');
      assert.equal(new URLSearchParams(seen[0]!.body).get('grant_type'), 'client_credentials');
      for (const s of seen.slice(1)) assert.equal(s.authorization, `Bearer ${TOKEN}`);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  test('through a SOCKS5 proxy, as VS Code http.proxy can name one (undici ProxyAgent kept whole)', async () => {
    const socks = await startSocks5();
    try {
      // http.proxy applies to remote hosts only (loopback never goes through a proxy): the proxy is set on the
      // profile as withVsCodeProxy would for a remote one
      assert.equal(withVsCodeProxy({ ...profile, baseUrl: 'https://scim.example.com/scim/v2' }, { proxy: socks.url }).proxy, socks.url);
      const p: Profile = { ...profile, proxy: socks.url };
      const { status } = await getUsers(p);
      assert.equal(status, 200);
      assert.ok(loadedChunks().includes('proxy.js'), 'the proxy chunk (undici ProxyAgent) was loaded for it');
      assert.deepEqual(socks.connects.slice(0, 1), [new URL(sb.gatewayUrl).host]);
    } finally {
      await socks.close();
    }
  });

  const proxySkip = tinyproxySkipReason();
  if (proxySkip) console.log(`# SKIP bundle: ${proxySkip}`);
  describe('through tinyproxy (profile.proxy, HTTP CONNECT)', { skip: proxySkip }, () => {
    let proxy: TestProxy;
    before(async () => { proxy = await startTinyproxy(); });
    after(async () => { await proxy?.stop(); });

    test('200, key on the wire, the proxy carried it', async () => {
      const parsed = await core.parseProfiles(`${sb.profileYaml('viaProxy').trimEnd()}\n    proxy: ${proxy.url}\n`, 'scim-profiles.yaml', { env: {} });
      assert.deepEqual(parsed.problems, []);
      const p = parsed.profiles[0]!;
      assert.equal(p.proxy, `${proxy.url}/`);
      const { status } = await getUsers(p);
      assert.equal(status, 200);
      const host = new URL(sb.gatewayUrl).host.replace(/\./g, '\\.');
      await proxy.waitForLog(new RegExp(`(CONNECT|GET) (http://)?${host}`));
    });
  });

  const sslSkip = opensslSkipReason();
  if (sslSkip) console.log(`# SKIP bundle: ${sslSkip}`);
  describe('over TLS to a server that offers h2', { skip: sslSkip }, () => {
    let certs: TestCerts;
    let server: http2.Http2SecureServer;
    const seen: Array<{ httpVersion: string; alpn: string | false | null; key: string | undefined }> = [];
    before(async () => {
      certs = makeCerts();
      server = http2.createSecureServer({ cert: certs.read(certs.serverCertFile), key: certs.read(certs.serverKeyFile), allowHTTP1: true }, (req, res) => {
        seen.push({ httpVersion: req.httpVersion, alpn: (req.socket as TLSSocket).alpnProtocol, key: req.headers['ocp-apim-subscription-key'] as string | undefined });
        const body = JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 0, Resources: [] });
        res.writeHead(200, { 'content-type': 'application/scim+json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    });
    after(async () => {
      await new Promise<void>((r) => server?.close(() => r()));
      certs?.cleanup();
    });

    test('ALPN settles on http/1.1 (the h2 client is never needed): 200, key received', async () => {
      const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const p: Profile = { ...profile, baseUrl: `${origin}/scim/v2`, tls: { insecure: false, caFile: certs.caFile } };
      const client = new core.ScimClient(p, { trace: new Trace() });
      clients.push(client);
      const res = await client.run('GET Users', undefined, (call) => client.request(call, { method: 'GET', url: 'Users' }));
      assert.equal(res.status, 200);
      assert.deepEqual(seen, [{ httpVersion: '1.1', alpn: 'http/1.1', key: sb.key }]);
    });
  });
});
