// `scimx` in-process (run(argv, io)) against a tiny SCIM endpoint behind a key check on 127.0.0.1 (port 0).
// Covers the wiring of the commands to the core client, output shapes, --har and secret redaction; the full
// scenarios against the real sandbox are in test/integration/cli.test.ts.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run } from '../../src/cli/run';

const KEY = 'k-1234567890abcdef';
const PASSWORD = 'pw-0987654321zyxw';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const users = [1, 2, 3].map((i) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], id: `u${i}`, userName: `user${i}`, displayName: `User ${i}`, active: true,
}));

let server: Server;
let base: string;
let dir: string;
const received: Array<{ method: string; url: string; key: string | undefined; auth: string | undefined }> = [];

function send(res: import('node:http').ServerResponse, status: number, body: unknown, type = 'application/scim+json'): void {
  res.writeHead(status, { 'content-type': type });
  res.end(JSON.stringify(body));
}

function handle(req: IncomingMessage, res: import('node:http').ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const key = req.headers['ocp-apim-subscription-key'] as string | undefined;
  received.push({ method: req.method ?? '', url: req.url ?? '', key, auth: req.headers.authorization });
  req.resume();
  if (key !== KEY) {
    send(res, 401, { statusCode: 401, message: key ? 'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.' : 'Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.' }, 'application/json');
    return;
  }
  const path = url.pathname.replace(/^\/scim/, '');
  if (path === '/ServiceProviderConfig') {
    return send(res, 200, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      patch: { supported: true }, bulk: { supported: false }, filter: { supported: true, maxResults: 100 },
      changePassword: { supported: false }, sort: { supported: false }, etag: { supported: false },
      authenticationSchemes: [],
    });
  }
  if (path === '/ResourceTypes') {
    const rts = [
      { schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'], id: 'User', name: 'User', endpoint: '/Users', schema: 'urn:ietf:params:scim:schemas:core:2.0:User' },
      { schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'], id: 'Group', name: 'Group', endpoint: '/Groups', schema: 'urn:ietf:params:scim:schemas:core:2.0:Group' },
    ];
    return send(res, 200, { schemas: [LIST], totalResults: 2, startIndex: 1, itemsPerPage: 2, Resources: rts });
  }
  if (path === '/Schemas') return send(res, 200, { schemas: [LIST], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });
  if (path === '/Users' && req.method === 'GET') {
    const start = Number(url.searchParams.get('startIndex') ?? '1');
    const count = Number(url.searchParams.get('count') ?? '100');
    const page = users.slice(start - 1, start - 1 + count);
    return send(res, 200, { schemas: [LIST], totalResults: users.length, startIndex: start, itemsPerPage: page.length, Resources: page });
  }
  const m = /^\/Users\/([^/]+)$/.exec(path);
  if (m && req.method === 'GET') {
    const u = users.find((x) => x.id === m[1]);
    if (u) return send(res, 200, u);
  }
  return send(res, 404, { schemas: [ERR], status: '404', detail: `Resource ${path} not found` });
}

async function scimx(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, env: { KEY, PASSWORD, ...env }, cwd: dir });
  return { code, stdout, stderr };
}

const flags = () => ['--base-url', `${base}/scim`, '--user', 'svc', '--password-env', 'PASSWORD', '--subscription-key-env', 'KEY'];

describe('scimx commands in-process against a local SCIM endpoint', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'scimx-run-'));
    server = createServer(handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('discover prints capabilities and resource types', async () => {
    const r = await scimx([...flags(), 'discover']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /capabilities: patch yes, etag no, filter yes \(max 100\)/);
    assert.match(r.stdout, /User\s+\/?Users\s+urn:ietf:params:scim:schemas:core:2\.0:User/);
  });

  it('list users prints a table; --json one document', async () => {
    const r = await scimx([...flags(), 'list', 'users']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ID\s+USERNAME\s+DISPLAYNAME\s+ACTIVE\n/);
    assert.match(r.stdout, /u2\s+user2\s+User 2\s+true/);
    assert.match(r.stdout, /3 of 3 Users\n$/);
    const j = await scimx([...flags(), '--json', 'list', 'User', '--attributes', 'userName']);
    assert.equal(j.code, 0, j.stderr);
    const doc = JSON.parse(j.stdout) as { totalResults: number; Resources: Array<{ id: string }> };
    assert.equal(doc.totalResults, 3);
    assert.deepEqual(doc.Resources.map((u) => u.id), ['u1', 'u2', 'u3']);
    const all = await scimx([...flags(), '--json', 'list', 'Users', '--all', '--count', '2']);
    assert.equal(all.code, 0, all.stderr);
    assert.deepEqual((JSON.parse(all.stdout) as { Resources: Array<{ id: string }> }).Resources.map((u) => u.id), ['u1', 'u2', 'u3']);
  });

  it('an unknown resource type is a usage error listing the server\'s types', async () => {
    const r = await scimx([...flags(), 'list', 'Devices']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown resource type "Devices"; the server has: User \(Users\), Group \(Groups\)/);
  });

  it('get prints the resource; a 404 exits 1 with the trace hint', async () => {
    const r = await scimx([...flags(), 'get', 'Users', 'u1']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { userName: string }).userName, 'user1');
    const missing = await scimx([...flags(), 'get', 'Users', 'nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^scimx: .+/);
    assert.match(missing.stderr, /trace: run with --har FILE to see the exchanges/);
  });

  it('the gateway refusing the key exits 1 and never prints the key or password', async () => {
    const r = await scimx([...flags(), 'discover'], { KEY: 'wrong-key-1234567890' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^scimx: /);
    assert.ok(!r.stderr.includes('wrong-key-1234567890'));
    assert.ok(!r.stderr.includes(PASSWORD));
  });

  it('--har writes every exchange, masked; every request carried key and auth', async () => {
    const mark = received.length;
    const har = join(dir, 'out.har');
    const r = await scimx([...flags(), '--har', har, 'list', 'Devices']);
    assert.equal(r.code, 2);
    const text = readFileSync(har, 'utf8');
    const doc = JSON.parse(text) as { log: { version: string; creator: { name: string }; entries: Array<{ request: { url: string } }> } };
    assert.equal(doc.log.version, '1.2');
    assert.equal(doc.log.creator.name, 'scimx');
    assert.equal(doc.log.entries.length, received.length - mark);
    assert.ok(!text.includes(KEY), 'no raw key in the HAR');
    assert.ok(!text.includes(PASSWORD), 'no raw password in the HAR');
    assert.ok(!text.includes(Buffer.from(`svc:${PASSWORD}`).toString('base64')), 'no raw basic credentials in the HAR');
    for (const x of received.slice(mark)) {
      assert.equal(x.key, KEY, `${x.method} ${x.url}`);
      assert.match(x.auth ?? '', /^Basic /);
    }
  });

  it('probe prints a row per method', async () => {
    const r = await scimx([...flags(), 'probe']);
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    assert.match(r.stdout, /METHOD\s+KEY SENT\s+CUSTOM HEADERS\s+ANSWERED BY\s+STATUS\s+VERDICT\s+DETAIL/);
    for (const m of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) assert.match(r.stdout, new RegExp(`^${m}\\s+header\\s`, 'm'));
  });

  it('a profiles file in the working directory is used without --config', async () => {
    writeFileSync(join(dir, 'scim-profiles.yaml'), [
      'profiles:',
      '  local:',
      `    baseUrl: ${base}/scim/`,
      '    auth: { type: basic, username: svc, password: "${env:PASSWORD}" }',
      '    gateway: { subscriptionKey: "${env:KEY}" }',
      '',
    ].join('\n'));
    try {
      const r = await scimx(['--json', 'get', 'Users', 'u3']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as { id: string }).id, 'u3');
    } finally {
      rmSync(join(dir, 'scim-profiles.yaml'));
    }
  });
});
