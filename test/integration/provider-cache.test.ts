// The provider cache (issue 13, "discovery that persists"): what scimx learns about a provider is kept across
// runs, per profile origin and base path, so a warm profile sends no discovery request. Real processes (the
// built CLI) against the sandbox behind the APIM-like gateway, on 127.0.0.1; each Scimx keeps its
// cache in its own temporary directory. SCIMMY: provider-cache-scimmy.test.ts (its own process: SCIMMY's
// registry is process-wide).
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CACHE_MEMBERS_PER_GROUP } from '../../src/core/scim/cache';
import { ScimClient } from '../../src/core/scim/client';
import { Trace } from '../../src/core/trace';
import type { ReceivedRequest } from '../../src/sandbox/types';
import { fromSandbox, outsiders, Scimx, type Target } from '../helpers/interop';
import { ensureBuilt } from '../helpers/interop-matrix';
import { sandboxProfile } from '../helpers/profile';
import { call, goodHeaders, startTestSandbox, type Sandbox } from '../helpers/sandbox';

const DISCOVERY = /\/(ServiceProviderConfig|ResourceTypes|Schemas)(\?|$)/;
const discoveryOf = (reqs: ReceivedRequest[]) => reqs.filter((r) => DISCOVERY.test(r.url));
const line = (reqs: ReceivedRequest[]) => reqs.map((r) => `${r.method} ${r.url.split('?')[0]} ${r.status}`).join(' | ');
const header = (r: ReceivedRequest, name: string) => r.rawHeaders.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];

function cacheFile(x: Scimx): string {
  const dir = x.cacheDir!;
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  assert.equal(files.length, 1, `one provider file in ${dir}: ${files.join(', ')}`);
  return join(dir, files[0]!);
}

/** Makes the cached documents look `hours` old. */
function age(x: Scimx, hours: number): void {
  const file = cacheFile(x);
  const j = JSON.parse(readFileSync(file, 'utf8')) as { discovery: Record<string, { fetchedAt: number }> };
  for (const d of Object.values(j.discovery)) d.fetchedAt -= hours * 3600_000;
  writeFileSync(file, JSON.stringify(j));
}

describe('provider cache: the sandbox', () => {
  let sb: Sandbox;
  let t: Target;
  let x: Scimx;
  before(async () => {
    ensureBuilt();
    sb = await startTestSandbox({ users: 20, groups: 3 });
    t = fromSandbox(sb, 'sandbox', 20, 3);
    x = new Scimx(t, { cache: true });
  });
  after(async () => {
    x?.close();
    await sb?.stop();
  });

  test('members add 1: the first run discovers, the second sends 0 discovery requests', async () => {
    const gid = t.groups['group-01']!;
    const [a, b] = await outsiders(t, gid, 2);
    t.clearReceived();
    const cold = await x.run(['members', 'add', gid, a!]);
    assert.equal(cold.code, 0, cold.stderr);
    const coldReqs = [...t.received];
    assert.equal(discoveryOf(coldReqs).length, 3, line(coldReqs));
    t.clearReceived();
    const warm = await x.run(['members', 'add', gid, b!]);
    assert.equal(warm.code, 0, warm.stderr);
    const warmReqs = [...t.received];
    assert.deepEqual(discoveryOf(warmReqs), [], line(warmReqs));
    assert.ok((await t.members(gid)).includes(b!));
    console.log(`cache | sandbox | members add 1 | cold ${coldReqs.length} requests (${line(coldReqs)}) | warm ${warmReqs.length} requests (${line(warmReqs)})`);
    assert.ok(warmReqs.length <= coldReqs.length - 3, `warm ${warmReqs.length} vs cold ${coldReqs.length}`);
    const d = await x.run(['discover']);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /^from cache, \d+ (s|min) old \(--refresh asks the service\)$/m);
  });

  test('members remove 1 on a warm profile by ids it knows (the group and a member read before): 3 requests, no name lookup', async () => {
    const gid = t.groups['group-01']!;
    const [a] = await outsiders(t, gid, 1);
    const add = await x.run(['members', 'add', gid, a!]);
    assert.equal(add.code, 0, add.stderr);
    t.clearReceived();
    const remove = await x.run(['members', 'remove', gid, a!]);
    assert.equal(remove.code, 0, remove.stderr);
    assert.deepEqual(t.received.map((r) => r.method), ['GET', 'PATCH', 'GET'], line(t.received));
    assert.ok(!(await t.members(gid)).includes(a!));
    // a name is still looked up: the group by its displayName
    t.clearReceived();
    const byName = await x.run(['members', 'add', 'group-01', a!]);
    assert.equal(byName.code, 0, byName.stderr);
    assert.ok(t.received.some((r) => decodeURIComponent(r.url).includes('displayName eq "group-01"')), line(t.received));
    assert.ok((await t.members(gid)).includes(a!));
  });

  test('members add --ids of a user never read, warm: 3 requests (read, PATCH, read), nothing looked up', async () => {
    const gid = t.groups['group-02']!;
    const [a] = await outsiders(t, gid, 1);
    const first = await x.run(['members', 'add', gid, a!]); // warms the profile
    assert.equal(first.code, 0, first.stderr);
    const [b] = await outsiders(t, gid, 1);
    t.clearReceived();
    const add = await x.run(['members', 'add', '--ids', gid, b!]);
    assert.equal(add.code, 0, add.stderr);
    assert.deepEqual(t.received.map((r) => r.method), ['GET', 'PATCH', 'GET'], line(t.received));
    assert.ok(!t.received.some((r) => /userName eq|displayName eq/.test(decodeURIComponent(r.url))), line(t.received));
    const members = await t.members(gid);
    assert.ok(members.includes(a!) && members.includes(b!));
  });

  test('the file: mode 0600 in a 0700 folder, the origin readable, no base URL path, no credentials', () => {
    const file = cacheFile(x);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(x.cacheDir!).mode & 0o777, 0o700);
    const text = readFileSync(file, 'utf8');
    const j = JSON.parse(text) as { origin: string; discovery: Record<string, { etag?: string }>; members?: unknown[] };
    assert.equal(j.origin, new URL(sb.gatewayUrl).origin);
    assert.ok(j.discovery.ServiceProviderConfig?.etag, 'the sandbox gives discovery documents an ETag, kept');
    assert.ok(j.members?.length, 'members seen are kept');
    for (const secret of [sb.key, (sb.auth as { password: string }).password]) assert.ok(!text.includes(secret), 'no credential in the cache');
  });

  test('expired: revalidated with If-None-Match through the pipeline (key, headers, auth); 304 keeps the body', async () => {
    age(x, 25);
    t.clearReceived();
    const d = await x.run(['discover']);
    assert.equal(d.code, 0, d.stderr);
    const reqs = discoveryOf(t.received);
    assert.equal(reqs.length, 3, line(t.received));
    for (const r of reqs) {
      assert.equal(r.status, 304, line(reqs));
      assert.match(header(r, 'if-none-match') ?? '', /^W\/"[0-9a-f]+"$/);
      assert.equal(header(r, t.keyHeader), t.key, 'the gateway key is on the revalidation');
      assert.match(header(r, 'authorization') ?? '', /^Basic /, 'auth is on the revalidation');
    }
    assert.match(d.stdout, /from cache, 25 h old, revalidated: 3 of 3 unchanged \(304\)/);
    assert.match(d.stdout, /resource types:\n.*\n\s+User\s+Users/, 'the cached bodies are used');
    t.clearReceived();
    const again = await x.run(['discover']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(discoveryOf(t.received), [], 'fresh again after the 304s');
  });

  test('discover --refresh asks again (no If-None-Match), without it the cache answers', async () => {
    t.clearReceived();
    const d = await x.run(['discover', '--refresh']);
    assert.equal(d.code, 0, d.stderr);
    const reqs = discoveryOf(t.received);
    assert.deepEqual(reqs.map((r) => r.status), [200, 200, 200], line(reqs));
    for (const r of reqs) assert.equal(header(r, 'if-none-match'), undefined);
    assert.doesNotMatch(d.stdout, /from cache/);
  });

  test('a contradiction (PATCH 501 while the cached ServiceProviderConfig says PATCH) drops the cache', async () => {
    const gid = t.groups['group-02']!;
    const [a, b] = await outsiders(t, gid, 2);
    await x.run(['discover']); // warm
    sb.setFaults(['no-patch']);
    try {
      t.clearReceived();
      const r = await x.run(['members', 'add', gid, a!]);
      assert.equal(r.code, 0, r.stderr);
      const reqs = [...t.received];
      const patch = reqs.findIndex((q) => q.method === 'PATCH');
      assert.ok(patch >= 0 && reqs[patch]!.status === 501, line(reqs));
      assert.deepEqual(discoveryOf(reqs.slice(0, patch)), [], `warm before the PATCH: ${line(reqs)}`);
      assert.equal(discoveryOf(reqs.slice(patch)).length, 3, `asked again after the contradiction: ${line(reqs)}`);
      assert.match(r.stderr, /^note: cached discovery and learnt provider quirks dropped: PATCH answered 501 while ServiceProviderConfig says PATCH is supported$/m);
      assert.ok((await t.members(gid)).includes(a!), 'the change fell back to PUT');
      // the next run uses what was read after the contradiction (no PATCH now): PUT at once, no discovery
      t.clearReceived();
      const next = await x.run(['members', 'add', gid, b!]);
      assert.equal(next.code, 0, next.stderr);
      assert.deepEqual(discoveryOf(t.received), [], line(t.received));
      assert.ok(!t.received.some((q) => q.method === 'PATCH'), line(t.received));
      assert.doesNotMatch(next.stderr, /note: cached discovery/);
      assert.ok((await t.members(gid)).includes(b!));
      const d = await x.run(['discover']);
      assert.match(d.stdout, /capabilities: patch no/);
    } finally {
      sb.setFaults([]);
    }
    await x.run(['discover', '--refresh']);
  });

  test('a damaged or unreadable file is ignored, said once, and rewritten', async () => {
    const file = cacheFile(x);
    writeFileSync(file, '{"v":1,"discovery":');
    t.clearReceived();
    const r = await x.run(['discover']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(discoveryOf(t.received).length, 3);
    assert.equal(r.stderr.match(/note: the provider cache file is damaged and is ignored/g)?.length, 1, r.stderr);
    assert.ok(JSON.parse(readFileSync(file, 'utf8')), 'rewritten whole');
    if (process.getuid?.() !== 0) {
      chmodSync(file, 0o000);
      try {
        const u = await x.run(['discover']);
        assert.equal(u.code, 0, u.stderr);
        assert.match(u.stderr, /note: the provider cache could not be read and is ignored/);
      } finally {
        chmodSync(file, 0o600);
      }
    }
  });
});

describe('provider cache: no secrets in the file', () => {
  test('a profile with distinctive key, password and secret header: none of them is written', async () => {
    const KEY = 'cache-key-SECRET-7f3a9c1e5b';
    const PASSWORD = 'cache-password-SECRET-2d8e6a4c';
    const HEADER = 'cache-header-SECRET-9b1f3d7e';
    const sb = await startTestSandbox({ key: KEY, auth: { type: 'basic', username: 'scim-test', password: PASSWORD } });
    const dir = mkdtempSync(join(tmpdir(), 'scimx-cache-secrets-'));
    try {
      const profile = sandboxProfile(sb, { headers: { 'X-Tenant-Secret': HEADER }, secretHeaders: ['X-Tenant-Secret'], gateway: { sendAs: 'both' } });
      const client = new ScimClient(profile, { trace: new Trace(), cacheDir: dir });
      const gid = sb.groupIdByName('group-01')!;
      const user = sb.userIdByName('user0019')!;
      await client.discover();
      await client.membersPage(gid, {});
      await client.changeMembers(gid, { add: [user], remove: [] });
      const seen = client.knownMembersOf(gid).slice(0, CACHE_MEMBERS_PER_GROUP);
      assert.ok(seen.length > 0);
      await client.close();
      const files = readdirSync(dir);
      assert.equal(files.length, 1);
      const text = readFileSync(join(dir, files[0]!), 'utf8');
      assert.ok(text.includes('"discovery"') && text.includes('"members"'), 'something was kept');
      for (const s of [KEY, PASSWORD, HEADER, Buffer.from(`scim-test:${PASSWORD}`).toString('base64'), 'subscription-key=']) {
        assert.ok(!text.includes(s), `"${s}" is not in the cache`);
      }
      // a second client on the same profile starts warm: no discovery request
      const mark = sb.received.length;
      const warm = new ScimClient(profile, { trace: new Trace(), cacheDir: dir });
      await warm.discover();
      assert.equal(sb.received.length, mark);
      assert.deepEqual(warm.knownMembersOf(gid), seen, 'the members seen are restored (CACHE_MEMBERS_PER_GROUP a group), newest first');
      await warm.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await sb.stop();
    }
  });
});

describe('provider cache: answers that contradict it (in-process clients)', () => {
  let sb: Sandbox;
  let dir: string;
  before(async () => {
    sb = await startTestSandbox();
    dir = mkdtempSync(join(tmpdir(), 'scimx-cache-contra-'));
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await sb?.stop();
  });

  const file = () => join(dir, readdirSync(dir).find((f) => f.endsWith('.json')) ?? 'none.json');
  /** The record on disk ({} when there is none: nothing learnt is kept as no file). */
  const kept = () => (existsSync(file()) ? JSON.parse(readFileSync(file(), 'utf8')) : {}) as { discovery?: { ResourceTypes: { body: { Resources?: unknown[] } } }; quirks?: Record<string, unknown> };

  async function warmClient(): Promise<ScimClient> {
    const cold = new ScimClient(sandboxProfile(sb), { trace: new Trace(), cacheDir: dir });
    await cold.discover({ refresh: true });
    await cold.listPage('Users', { count: 1 });
    await cold.close();
    return new ScimClient(sandboxProfile(sb), { trace: new Trace(), cacheDir: dir });
  }

  test('the sandbox: discovery documents carry an ETag and answer 304 to If-None-Match', async () => {
    for (const doc of ['ServiceProviderConfig', 'ResourceTypes', 'Schemas']) {
      const a = await call(sb, 'GET', `/${doc}`);
      assert.equal(a.status, 200);
      const etag = String(a.headers.etag ?? '');
      assert.match(etag, /^W\/"[0-9a-f]{16}"$/);
      const b = await call(sb, 'GET', `/${doc}`, { headers: goodHeaders(sb, { 'if-none-match': etag }) });
      assert.equal(b.status, 304);
      assert.equal(b.text, '');
      assert.equal((await call(sb, 'GET', `/${doc}`, { headers: goodHeaders(sb, { 'if-none-match': 'W/"other"' }) })).status, 200);
    }
  });

  test('discoveryMaxAgeHours: 0 in the profile: every client revalidates (3 × 304), quirks and members still kept', async () => {
    const profile = sandboxProfile(sb, { discoveryMaxAgeHours: 0 });
    const a = new ScimClient(profile, { trace: new Trace(), cacheDir: dir });
    await a.discover({ refresh: true });
    await a.close();
    const mark = sb.received.length;
    const b = new ScimClient(profile, { trace: new Trace(), cacheDir: dir });
    const d = await b.discover();
    assert.deepEqual(d.cache && { state: d.cache.state, unchanged: d.cache.unchanged }, { state: 'revalidated', unchanged: 3 });
    assert.deepEqual(sb.received.slice(mark).map((r) => r.status), [304, 304, 304]);
    await b.close();
  });

  test('a 404 on an endpoint ResourceTypes lists drops the cached discovery', async () => {
    const c = await warmClient();
    // the cached ResourceTypes list a Widgets endpoint the service does not have (any more)
    const j = kept() as { discovery: { ResourceTypes: { body: { Resources: unknown[] } } } };
    j.discovery.ResourceTypes.body.Resources.push({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'], id: 'Widget', name: 'Widget', endpoint: '/Widgets', schema: 'urn:example:Widget' });
    writeFileSync(file(), JSON.stringify(j));
    await c.close();
    const w = new ScimClient(sandboxProfile(sb), { trace: new Trace(), cacheDir: dir });
    const d = await w.discover();
    assert.equal(d.cache?.state, 'fresh');
    assert.ok(d.resourceTypes.some((r) => r.endpoint === 'Widgets'));
    await assert.rejects(w.listPage('Widgets', {}));
    assert.deepEqual(w.cacheNotes(), ['cached discovery and learnt provider quirks dropped: Widgets answered 404 while ResourceTypes lists it']);
    assert.equal(kept().discovery, undefined, 'dropped on disk');
    const mark = sb.received.length;
    const again = await w.discover();
    assert.equal(again.cache, undefined, 'asked the service again');
    assert.ok(!again.resourceTypes.some((r) => r.endpoint === 'Widgets'));
    assert.equal(sb.received.length - mark, 3);
    await w.close();
    // a 404 on one resource is not a contradiction
    const x = new ScimClient(sandboxProfile(sb), { trace: new Trace(), cacheDir: dir });
    await assert.rejects(x.get('Users', 'no-such-user'));
    assert.deepEqual(x.cacheNotes(), []);
    await x.close();
  });

  test('a simple filter refused while ServiceProviderConfig says filtering works drops it; a refused groups.value filter is a quirk, not a contradiction', async () => {
    const c = await warmClient();
    await c.close();
    sb.setFaults(['no-filter']);
    try {
      const w = new ScimClient(sandboxProfile(sb), { trace: new Trace(), cacheDir: dir });
      assert.equal((await w.discover()).capabilities.filter, true, 'the cached discovery says filter supported');
      await assert.rejects(w.listPage('Users', { filter: 'groups.value eq "g1"' }));
      assert.deepEqual(w.cacheNotes(), []);
      await assert.rejects(w.listPage('Users', { filter: 'userName eq "user0001"' }));
      assert.deepEqual(w.cacheNotes(), ['cached discovery and learnt provider quirks dropped: a simple filter (userName eq) answered 400 while ServiceProviderConfig says filtering is supported']);
      assert.equal(kept().discovery, undefined);
      assert.equal((await w.discover()).capabilities.filter, false, 'read again: no filtering');
      await w.close();
    } finally {
      sb.setFaults([]);
    }
  });
});
