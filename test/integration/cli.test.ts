// `scimx` end to end: the bundled dist/cli.js, spawned as a real process, against the sandbox (SCIM service
// behind an APIM-like gateway) started in this process on 127.0.0.1. Asserts on what the gateway received.
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

const root = join(__dirname, '..', '..');
const cli = join(root, 'dist', 'cli.js');

/** What the tests need of the sandbox (src/sandbox). */
interface ReceivedRequest {
  method: string;
  url: string;
  rawHeaders: string[] | Array<[string, string]>;
  status: number;
}
interface Sandbox {
  gatewayUrl: string;
  key: string;
  keyHeader: string;
  auth: { type: 'basic'; username: string; password: string };
  received: ReceivedRequest[];
  setFaults(faults: string[], opts?: { slowMs?: number }): void;
  groupIdByName(name: string): string | undefined;
  userIdByName(name: string): string | undefined;
  members(groupId: string): string[] | Array<{ value: string }>;
  stop(): Promise<void>;
}
type StartSandbox = (opts: { users?: number; groups?: number }) => Promise<Sandbox>;

function loadStartSandbox(): StartSandbox {
  const errors: string[] = [];
  for (const m of ['index', 'sandbox', 'server', 'main']) {
    const file = join(root, 'src', 'sandbox', `${m}.ts`);
    if (!existsSync(file)) continue;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(file) as { startSandbox?: StartSandbox };
      if (typeof mod.startSandbox === 'function') return mod.startSandbox;
    } catch (e) {
      errors.push(`${m}.ts: ${(e as Error).message}`);
    }
  }
  throw new Error(`startSandbox not found in src/sandbox${errors.length ? ` (${errors.join('; ')})` : ''}`);
}

interface Result { code: number | null; stdout: string; stderr: string }

let sb: Sandbox;
let dir: string;
let configFile: string;
let env: NodeJS.ProcessEnv;
const outputs: string[] = [];

/** Spawns the CLI asynchronously (the sandbox answers from this very event loop). */
function scimx(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd: dir, env: { ...env, ...extraEnv }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      outputs.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
  });
}

function headerPairs(raw: ReceivedRequest['rawHeaders']): Array<[string, string]> {
  if (raw.length && Array.isArray(raw[0])) return raw as Array<[string, string]>;
  const flat = raw as string[];
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i] as string, flat[i + 1] as string]);
  return out;
}

function keyOf(r: ReceivedRequest): { header: boolean; query: boolean } {
  const header = headerPairs(r.rawHeaders).some(([n, v]) => n.toLowerCase() === sb.keyHeader.toLowerCase() && v === sb.key);
  const query = new URL(r.url, 'http://127.0.0.1').searchParams.get('subscription-key') === sb.key;
  return { header, query };
}

function memberIds(groupId: string): string[] {
  return sb.members(groupId).map((m) => (typeof m === 'string' ? m : m.value));
}

async function listIds(type: string, count = 5): Promise<string[]> {
  const r = await scimx(['--json', 'list', type, '--count', String(count)]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { Resources: Array<{ id: string }> };
  return doc.Resources.map((x) => x.id);
}

describe('scimx against the sandbox', () => {
  before(async () => {
    // `npm test` builds dist/ once before the integration suite (SCIMX_TEST_SUITE set); a file run alone builds it
    // here. Rebuilding under `npm test` cost a build per file and rewrote dist/ while other files ran it.
    if (!process.env.SCIMX_TEST_SUITE) {
      const b = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, encoding: 'utf8' });
      assert.equal(b.status, 0, b.stderr);
    }
    const startSandbox = loadStartSandbox();
    sb = await startSandbox({ users: 20 });
    dir = mkdtempSync(join(tmpdir(), 'scimx-it-'));
    configFile = join(dir, 'scim-profiles.yaml');
    writeFileSync(configFile, [
      'profiles:',
      '  sandbox:',
      `    baseUrl: ${sb.gatewayUrl}`,
      '    auth:',
      '      type: basic',
      `      username: ${sb.auth.username}`,
      '      password: ${env:SB_PASSWORD}',
      '    gateway:',
      '      subscriptionKey: ${env:SB_KEY}',
      `      header: ${sb.keyHeader}`,
      '    headers:',
      '      X-Request-Source: scimx-it',
      '',
    ].join('\n'));
    // no provider cache: each run discovers, as these tests expect (the cache has its own tests: provider-cache.test.ts)
    env = { PATH: process.env.PATH, SB_PASSWORD: sb.auth.password, SB_KEY: sb.key, SCIMX_CACHE_DIR: 'off' };
  });

  after(async () => {
    await sb?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('discover: lists Users and Groups', async () => {
    const r = await scimx(['--json', 'discover']);
    assert.equal(r.code, 0, r.stderr);
    const d = JSON.parse(r.stdout) as { resourceTypes: Array<{ name: string; endpoint: string }> };
    const names = d.resourceTypes.map((t) => t.name);
    assert.ok(names.includes('User') && names.includes('Group'), names.join(','));
    const human = await scimx(['discover']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /capabilities: patch (yes|no)/);
  });

  it('list Users: a table by default, JSON with --json, every page with --all', async () => {
    const r = await scimx(['list', 'users', '--count', '5']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ID\s+USERNAME/);
    assert.match(r.stdout, /5 of \d+ Users; more pages: add --all/);
    const all = await scimx(['--json', 'list', 'Users', '--all', '--count', '7']);
    assert.equal(all.code, 0, all.stderr);
    const doc = JSON.parse(all.stdout) as { Resources: Array<{ id: string }> };
    assert.ok(doc.Resources.length >= 20, `got ${doc.Resources.length}`);
    assert.equal(new Set(doc.Resources.map((x) => x.id)).size, doc.Resources.length, 'no duplicates across pages');
  });

  it('get: one resource as JSON', async () => {
    const [id] = await listIds('Users', 1);
    const r = await scimx(['get', 'Users', id as string]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { id: string }).id, id);
    const missing = await scimx(['get', 'Users', 'does-not-exist-0000']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^scimx: /);
    assert.match(missing.stderr, /trace: run with --har FILE/);
  });

  for (const sendAs of ['header', 'query', 'both'] as const) {
    it(`members add then remove, key as ${sendAs}: every request carried the key`, async () => {
      const [groupId] = await listIds('Groups', 1);
      const users = await listIds('Users', 20);
      const before = new Set(memberIds(groupId as string));
      const toAdd = users.filter((u) => !before.has(u)).slice(0, 2);
      assert.equal(toAdd.length, 2, 'two users who are not members yet');
      const mark = sb.received.length;
      const flags = [
        '--base-url', sb.gatewayUrl, '--user', sb.auth.username, '--password-env', 'SB_PASSWORD',
        '--subscription-key-env', 'SB_KEY', '--key-header', sb.keyHeader, '--send-key-as', sendAs,
        '--header', 'X-Request-Source: scimx-it',
      ];
      const add = await scimx([...flags, '--json', 'members', 'add', groupId as string, ...toAdd]);
      assert.equal(add.code, 0, add.stderr);
      const report = JSON.parse(add.stdout) as { added: string[]; missing: string[]; verified: boolean };
      assert.deepEqual([...report.added].sort(), [...toAdd].sort());
      assert.deepEqual(report.missing, []);
      for (const u of toAdd) assert.ok(memberIds(groupId as string).includes(u), `${u} is a member on the server`);
      for (const u of before) assert.ok(memberIds(groupId as string).includes(u), `${u} kept`);

      const remove = await scimx([...flags, 'members', 'remove', groupId as string, ...toAdd]);
      assert.equal(remove.code, 0, remove.stderr);
      assert.match(remove.stdout, /removed:/);
      assert.deepEqual(new Set(memberIds(groupId as string)), before);

      const received = sb.received.slice(mark);
      assert.ok(received.some((r) => r.method === 'PATCH' || r.method === 'PUT'), 'a write went through the gateway');
      for (const r of received) {
        const k = keyOf(r);
        const expected = sendAs === 'header' ? k.header && !k.query : sendAs === 'query' ? k.query && !k.header : k.header && k.query;
        assert.ok(expected, `${r.method} ${r.url}: key ${JSON.stringify(k)}, expected as ${sendAs}`);
        assert.ok(headerPairs(r.rawHeaders).some(([n, v]) => n.toLowerCase() === 'x-request-source' && v === 'scimx-it'), `${r.method} ${r.url}: custom header`);
        assert.ok(headerPairs(r.rawHeaders).some(([n]) => n.toLowerCase() === 'authorization'), `${r.method} ${r.url}: auth`);
      }
    });
  }

  it('members: a change the server refuses exits 1 with a one-line error', async () => {
    const [groupId] = await listIds('Groups', 1);
    const r = await scimx(['members', 'add', groupId as string, 'no-such-user-0000']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /^scimx: /m);
  });

  describe('names instead of ids', () => {
    /** Requests the gateway received since `mark` that looked resources up by a filter on a name. */
    const nameReads = (mark: number, endpoint: string) => sb.received.slice(mark)
      .filter((r) => r.method === 'GET' && new URL(r.url, 'http://127.0.0.1').pathname.endsWith(`/${endpoint}`)
        && /displayName eq/.test(new URL(r.url, 'http://127.0.0.1').searchParams.get('filter') ?? ''));
    const reads = (mark: number, path: RegExp) => sb.received.slice(mark).filter((r) => r.method === 'GET' && path.test(new URL(r.url, 'http://127.0.0.1').pathname));

    async function createUser(userName: string, displayName: string): Promise<string> {
      const res = await fetch(`${sb.gatewayUrl}/Users`, {
        method: 'POST',
        headers: {
          [sb.keyHeader]: sb.key, authorization: `Basic ${Buffer.from(`${sb.auth.username}:${sb.auth.password}`).toString('base64')}`,
          'content-type': 'application/scim+json',
        },
        body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, displayName }),
      });
      const text = await res.text();
      assert.equal(res.status, 201, text);
      return (JSON.parse(text) as { id: string }).id;
    }

    async function someUsers(): Promise<Array<{ id: string; userName: string; displayName: string }>> {
      const r = await scimx(['--json', 'list', 'Users', '--count', '20']);
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as { Resources: Array<{ id: string; userName: string; displayName: string }> }).Resources;
    }

    it('get Users by userName and by displayName: one filtered read, no second GET', async () => {
      const [, , third, fourth] = await someUsers();
      const id = third!.id;
      const mark = sb.received.length;
      const r = await scimx(['get', 'Users', third!.userName]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as { id: string; userName: string }).id, id);
      assert.ok(r.stderr.includes(`"${third!.userName}" is Users/${id} (by userName)`), r.stderr);
      assert.equal(nameReads(mark, 'Users').length, 1, 'one filtered read');
      assert.equal(reads(mark, new RegExp(`/Users/${id}$`)).length, 0, 'the read answered: no GET by id');

      const byDisplay = await scimx(['get', 'Users', fourth!.displayName.toLowerCase()]); // compared without case, as SCIM does
      assert.equal(byDisplay.code, 0, byDisplay.stderr);
      assert.equal((JSON.parse(byDisplay.stdout) as { id: string }).id, fourth!.id);

      const byId = await scimx(['get', 'Users', id]);
      assert.equal(byId.code, 0, byId.stderr);
      assert.equal((JSON.parse(byId.stdout) as { id: string }).id, id);
      assert.doesNotMatch(byId.stderr, /is Users\//, 'an id needs no word');
    });

    it('a name two users share is refused, listing both; nothing is read further', async () => {
      const fifth = (await someUsers())[4]!;
      const twin = await createUser(`twin-of-${fifth.userName}`, fifth.displayName);
      const r = await scimx(['get', 'Users', fifth.displayName]);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.ok(r.stderr.includes(`"${fifth.displayName}" names 2 users:`), r.stderr);
      assert.ok(r.stderr.includes(twin) && r.stderr.includes(fifth.id), r.stderr);
      assert.match(r.stderr, /give the id instead/);
      assert.equal(r.stdout, '');
    });

    it('get Groups NAME says that it left the members out, and how to read them', async () => {
      const listed = await scimx(['--json', 'list', 'Groups', '--count', '1']);
      const group = (JSON.parse(listed.stdout) as { Resources: Array<{ id: string; displayName: string }> }).Resources[0]!;
      const r = await scimx(['get', 'Groups', group.displayName]);
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as { id: string; members?: unknown };
      assert.equal(doc.id, group.id);
      assert.equal(doc.members, undefined);
      assert.match(r.stderr, /members left out/);
      assert.match(r.stderr, /--attributes members/);
      const withMembers = await scimx(['get', 'Groups', group.id, '--attributes', 'members']);
      assert.equal(withMembers.code, 0, withMembers.stderr);
      assert.ok(Array.isArray((JSON.parse(withMembers.stdout) as { members?: unknown }).members));
      assert.doesNotMatch(withMembers.stderr, /left out/);
    });

    it('members add and remove by group and user names: one filtered read for all the users', async () => {
      const listed = await scimx(['--json', 'list', 'Groups', '--count', '1']);
      const group = (JSON.parse(listed.stdout) as { Resources: Array<{ id: string; displayName: string }> }).Resources[0]!;
      const before = new Set(memberIds(group.id));
      const all = await someUsers();
      const candidates = all.slice(5).filter((u) => !before.has(u.id));
      const [ua, ub] = candidates as [typeof all[0], typeof all[0]];
      const a = ua.userName;
      const bDisplay = ub.displayName;
      const mark = sb.received.length;
      const add = await scimx(['--json', 'members', 'add', group.displayName, a, bDisplay]);
      assert.equal(add.code, 0, add.stderr);
      const ids = [ua.id, ub.id];
      assert.deepEqual([...(JSON.parse(add.stdout) as { added: string[] }).added].sort(), [...ids].sort());
      assert.equal(nameReads(mark, 'Users').length, 1, 'both users found with one read');
      assert.equal(nameReads(mark, 'Groups').length, 1, 'the group with one read');
      for (const id of ids) assert.ok(memberIds(group.id).includes(id));
      const remove = await scimx(['members', 'remove', group.displayName, a, bDisplay]);
      assert.equal(remove.code, 0, remove.stderr);
      assert.match(remove.stderr, new RegExp(`"${a}" is ${ids[0]}`));
      assert.deepEqual(new Set(memberIds(group.id)), before);
    });
  });

  it('probe: a row per method, all passing through the gateway; its writes carry an If-Match nothing meets and change nothing', async () => {
    const groupsBefore = (await listIds('Groups', 1000)).length;
    const seen = sb.received.length;
    const r = await scimx(['probe']);
    const writes = sb.received.slice(seen).filter((x) => ['PUT', 'PATCH', 'DELETE'].includes(x.method));
    assert.equal(writes.length, 3);
    for (const w of writes) assert.match(headerPairs(w.rawHeaders).find(([n]) => n.toLowerCase() === 'if-match')?.[1] ?? '', /^"scimx-probe-.+-never"$/, `${w.method} has its If-Match`);
    for (const w of writes) assert.ok(w.status >= 400, `${w.method} was not applied (${w.status})`);
    assert.equal((await listIds('Groups', 1000)).length, groupsBefore, 'no group created');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /METHOD\s+KEY SENT\s+CUSTOM HEADERS\s+ANSWERED BY\s+STATUS\s+VERDICT\s+DETAIL/);
    for (const m of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) assert.match(r.stdout, new RegExp(`^${m}\\s+header`, 'm'));
    const j = await scimx(['--json', 'probe']);
    const doc = JSON.parse(j.stdout) as { rows: Array<{ method: string; keySent: string }> };
    assert.deepEqual(doc.rows.map((x) => x.method).sort(), ['DELETE', 'GET', 'PATCH', 'POST', 'PUT']);
    assert.ok(doc.rows.every((x) => x.keySent === 'header'));
  });

  it('--har writes a valid HAR 1.2 of every exchange, without raw secrets', async () => {
    const har = join(dir, 'run.har');
    const r = await scimx(['--har', har, 'list', 'Groups']);
    assert.equal(r.code, 0, r.stderr);
    const text = readFileSync(har, 'utf8');
    const doc = JSON.parse(text) as { log: { version: string; creator: { name: string }; entries: Array<{ request: { method: string; url: string; headers: Array<{ name: string; value: string }> }; response: { status: number } }> } };
    assert.equal(doc.log.version, '1.2');
    assert.ok(doc.log.entries.length >= 1);
    const e = doc.log.entries[0]!;
    assert.equal(e.request.method, 'GET');
    assert.equal(e.response.status, 200);
    const keyHeader = e.request.headers.find((h) => h.name.toLowerCase() === sb.keyHeader.toLowerCase());
    assert.ok(keyHeader, 'the key header is in the HAR');
    assert.notEqual(keyHeader.value, sb.key);
    assert.match(keyHeader.value, /^••••/);
    assert.ok(!text.includes(sb.key), 'no raw key');
    assert.ok(!text.includes(sb.auth.password), 'no raw password');
    assert.ok(!text.includes(Buffer.from(`${sb.auth.username}:${sb.auth.password}`).toString('base64')), 'no raw basic credentials');
  });

  it('config errors exit 2 with file:line:column', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, `profiles:\n  x:\n    baseUrl: ${sb.gatewayUrl}\n    gateway:\n      sendAs: nowhere\n`);
    const r = await scimx(['--config', bad, 'discover']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.yaml:5:15: profiles\.x\.gateway\.sendAs: "nowhere" is not allowed/);
    const noEnv = await scimx(['discover'], { SB_KEY: undefined as unknown as string });
    assert.equal(noEnv.code, 2);
    assert.match(noEnv.stderr, /scim-profiles\.yaml:9:\d+: profiles\.sandbox\.gateway\.subscriptionKey: environment variable SB_KEY is not set/);
  });

  it('the gateway rejects a wrong key: exit 1 with a diagnosis line', async () => {
    const r = await scimx(['discover'], { SB_KEY: 'wrong-key-000000000000' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^scimx: /);
    assert.match(r.stderr, /trace: run with --har FILE/);
  });

  it('Ctrl-C (SIGINT) cancels a running list --all and exits 130', async () => {
    sb.setFaults(['slow'], { slowMs: 30_000 });
    try {
      const mark = sb.received.length;
      const child = spawn(process.execPath, [cli, 'list', 'Users', '--all', '--count', '2'], { cwd: dir, env });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      // Wait until the request reached the gateway (no fixed sleep), then interrupt.
      while (sb.received.length === mark) await new Promise((r) => setTimeout(r, 20));
      child.kill('SIGINT');
      const code = await exited;
      outputs.push(stderr);
      assert.equal(code, 130, stderr);
      assert.match(stderr, /^scimx: cancel/im);
    } finally {
      sb.setFaults([]);
    }
  });

  it('sandbox: delegates to dist/sandbox.js, which serves until Ctrl-C', async () => {
    const child = spawn(process.execPath, [cli, 'sandbox'], { cwd: dir, env });
    let stdout = '';
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); if (/Ctrl\+C/i.test(stdout)) resolve(); });
      child.on('exit', () => resolve());
    });
    assert.match(stdout, /http:\/\/127\.0\.0\.1:\d+\/scim/);
    child.kill('SIGINT');
    const code = await exited;
    assert.ok(code === 0 || code === 130, `exit ${code}`);
  });

  it('no output of any run contained a raw secret', () => {
    const all = outputs.join('\n');
    assert.ok(!all.includes(sb.key), 'key printed');
    assert.ok(!all.includes(sb.auth.password), 'password printed');
  });
});
